// The word list itself (see wordlist.h for how it was chosen), and lookup.
#include "session/wordlist.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace ferry::session {
namespace {

// Sorted (C locale); tests/unit/session/wordlist_test.cpp checks size, order and alphabet.
constexpr std::array<std::string_view, kWordCount> kWords = {
    "acorn",    "acrobat",  "actor",    "advice",   "agile",    "airport",  "alarm",    "album",
    "alley",    "almond",   "alpha",    "amber",    "anchor",   "angle",    "ankle",    "answer",
    "antler",   "anvil",    "ape",      "apple",    "apricot",  "apron",    "arcade",   "arch",
    "archery",  "arena",    "aroma",    "arrow",    "artist",   "atlas",    "attic",    "author",
    "autumn",   "avenue",   "award",    "azure",    "baby",     "bacon",    "badge",    "badger",
    "bag",      "bagel",    "bake",     "baker",    "balcony",  "ballet",   "balloon",  "ballot",
    "bamboo",   "banana",   "bandit",   "banjo",    "banner",   "barber",   "barley",   "barn",
    "barrel",   "basil",    "basin",    "basket",   "bat",      "battery",  "beacon",   "beard",
    "beaver",   "beehive",  "beetle",   "bench",    "bicycle",  "bingo",    "birch",    "bison",
    "black",    "blade",    "blanket",  "blender",  "blizzard", "bloom",    "blossom",  "boat",
    "bonfire",  "bonus",    "bookcase", "border",   "bottle",   "bounce",   "bounty",   "bowl",
    "bowling",  "box",      "boxing",   "bracelet", "brain",    "branch",   "brave",    "breeze",
    "brick",    "bridge",   "bright",   "brisk",    "bronze",   "brook",    "broom",    "brownie",
    "brush",    "bubble",   "bucket",   "buckle",   "budget",   "buffalo",  "bun",      "bundle",
    "bunny",    "burger",   "butler",   "butter",   "button",   "cabbage",  "cabin",    "cable",
    "cactus",   "cafe",     "cake",     "calf",     "calm",     "camel",    "camera",   "camp",
    "campus",   "canal",    "canary",   "candle",   "candy",    "canoe",    "canyon",   "cap",
    "captain",  "caramel",  "cargo",    "carnival", "carpet",   "carrot",   "carry",    "cart",
    "cartoon",  "cashew",   "castle",   "cat",      "catch",    "cave",     "cedar",    "celery",
    "cello",    "cement",   "chain",    "chair",    "chalk",    "champion", "chapel",   "chapter",
    "charm",    "chase",    "cheese",   "chef",     "cherry",   "chess",    "chest",    "chestnut",
    "chicken",  "chimney",  "chorus",   "cinema",   "circle",   "citrus",   "city",     "clay",
    "clever",   "cliff",    "climb",    "clinic",   "clock",    "cloud",    "clover",   "clown",
    "coach",    "coast",    "cobalt",   "cobra",    "cobweb",   "cocoa",    "coconut",  "coffee",
    "coin",     "comb",     "combo",    "comet",    "comic",    "compass",  "concert",  "cone",
    "cook",     "cookie",   "copper",   "coral",    "cork",     "corn",     "cosmos",   "cottage",
    "cotton",   "couch",    "cow",      "coyote",   "crab",     "cracker",  "cradle",   "crane",
    "crater",   "crayon",   "cream",    "cricket",  "crimson",  "crisp",    "crow",     "crown",
    "crystal",  "cub",      "cup",      "cupcake",  "curly",    "curry",    "curtain",  "cushion",
    "custard",  "cycling",  "daffodil", "daisy",    "dance",    "daring",   "dawn",     "decade",
    "denim",    "dentist",  "depot",    "desert",   "desk",     "detail",   "diamond",  "diary",
    "dice",     "dig",      "dingo",    "dinner",   "disco",    "dive",     "dock",     "doctor",
    "dog",      "dolphin",  "domino",   "donkey",   "doorbell", "dove",     "dragon",   "draw",
    "drawer",   "dream",    "drift",    "driver",   "drum",     "duck",     "dumpling", "dune",
    "dusk",     "dynamo",   "eager",    "eagle",    "early",    "earth",    "easel",    "ebony",
    "echo",     "eclipse",  "eel",      "egg",      "elbow",    "elder",    "elk",      "emerald",
    "empire",   "emu",      "energy",   "engine",   "envelope", "episode",  "fabric",   "falcon",
    "famous",   "fan",      "fancy",    "farm",     "farmer",   "feather",  "fence",    "fern",
    "ferret",   "fiddle",   "field",    "fig",      "film",     "finch",    "finger",   "fire",
    "firefly",  "fish",     "flag",     "flame",    "flamingo", "flash",    "fleet",    "float",
    "flock",    "fluffy",   "flute",    "fly",      "foal",     "fog",      "fold",     "forest",
    "fork",     "fossil",   "fountain", "fox",      "frame",    "fresh",    "frog",     "frost",
    "fruit",    "funnel",   "future",   "gadget",   "galaxy",   "gallon",   "garage",   "garden",
    "garlic",   "gather",   "gazelle",  "gecko",    "gem",      "gentle",   "gerbil",   "giant",
    "gift",     "giggle",   "ginger",   "giraffe",  "glacier",  "glad",     "glass",    "glide",
    "glider",   "glitter",  "globe",    "glove",    "goat",     "goblin",   "gold",     "golden",
    "goldfish", "golf",     "gondola",  "goose",    "grain",    "granite",  "grape",    "grass",
    "gravel",   "gravity",  "gravy",    "green",    "grove",    "grow",     "guava",    "guitar",
    "habit",    "hammer",   "hammock",  "hamster",  "happy",    "harp",     "harvest",  "hat",
    "hawk",     "hazel",    "hearty",   "hedgehog", "helmet",   "hero",     "heron",    "hike",
    "hill",     "hilltop",  "hippo",    "hobby",    "hockey",   "holiday",  "honey",    "honeybee",
    "hook",     "hop",      "horizon",  "horn",     "hornet",   "hotel",    "hug",      "humble",
    "hunter",   "hyena",    "iceberg",  "icicle",   "idea",     "igloo",    "index",    "indigo",
    "infant",   "ink",      "insect",   "island",   "item",     "ivory",    "ivy",      "jackal",
    "jacket",   "jade",     "jaguar",   "jam",      "jar",      "jasmine",  "jelly",    "jewel",
    "jigsaw",   "jog",      "jolly",    "journal",  "journey",  "judge",    "judo",     "juggle",
    "juice",    "jumbo",    "jump",     "jungle",   "kale",     "kangaroo", "karate",   "kayak",
    "keen",     "kettle",   "kick",     "kind",     "kingdom",  "kitchen",  "kite",     "kitten",
    "kiwi",     "knee",     "koala",    "label",    "lace",     "ladder",   "lagoon",   "lake",
    "lamb",     "lamp",     "lantern",  "laptop",   "laser",    "laugh",    "lava",     "leaf",
    "leap",     "legend",   "lemon",    "lemonade", "lemur",    "lentil",   "letter",   "lettuce",
    "level",    "lever",    "library",  "lift",     "lilac",    "lily",     "lime",     "limit",
    "linen",    "lion",     "liquid",   "listen",   "lively",   "lizard",   "lobby",    "lobster",
    "locker",   "locket",   "logic",    "lotus",    "lucky",    "lunar",    "lunch",    "machine",
    "magazine", "magenta",  "magic",    "magnet",   "magnolia", "magpie",   "mammal",   "mammoth",
    "mandolin", "mango",    "map",      "maple",    "marble",   "march",    "market",   "marmot",
    "maroon",   "marsh",    "mascot",   "mask",     "meadow",   "meerkat",  "mellow",   "melody",
    "melon",    "memory",   "mermaid",  "meteor",   "method",   "metro",    "middle",   "mighty",
    "mink",     "minnow",   "mint",     "minute",   "mirror",   "mission",  "mitten",   "mix",
    "model",    "modern",   "mole",     "moment",   "monkey",   "monster",  "moon",     "mosaic",
    "moss",     "moth",     "motor",    "mountain", "mouse",    "muffin",   "mulberry", "museum",
    "music",    "mustard",  "nap",      "napkin",   "nation",   "nature",   "navy",     "neat",
    "nectar",   "needle",   "nest",     "net",      "newt",     "nickel",   "ninja",    "noble",
    "noodle",   "north",    "notebook", "nugget",   "number",   "nurse",    "nutmeg",   "nutshell",
    "oasis",    "oat",      "oatmeal",  "object",   "ocean",    "octopus",  "office",   "olive",
    "onion",    "opal",     "opera",    "orange",   "orbit",    "orchard",  "orchid",   "organ",
    "origami",  "origin",   "ostrich",  "otter",    "outfit",   "oven",     "owl",      "owner",
    "oxygen",   "oyster",   "paddle",   "paint",    "palace",   "palette",  "pancake",  "panda",
    "panel",    "panther",  "papaya",   "paper",    "parade",   "parcel",   "park",     "parrot",
    "parsley",  "pasta",    "pastry",   "patio",    "pattern",  "peach",    "peacock",  "peanut",
    "pebble",   "pecan",    "pelican",  "pencil",   "penguin",  "pepper",   "petal",    "piano",
    "pickle",   "picnic",   "piglet",   "pillow",   "pilot",    "pinball",  "pine",     "pinecone",
    "pink",     "pipe",     "pirate",   "pixel",    "pizza",    "planet",   "plasma",   "plate",
    "play",     "plaza",    "pledge",   "plenty",   "pocket",   "poem",     "poet",     "polar",
    "polite",   "pollen",   "polo",     "pond",     "pony",     "poodle",   "popcorn",  "porch",
    "portal",   "possum",   "poster",   "pot",      "potato",   "potter",   "powder",   "prairie",
    "pretzel",  "prism",    "prize",    "proud",    "pudding",  "puddle",   "puffin",   "puma",
    "pumpkin",  "pup",      "puppet",   "purple",   "puzzle",   "pyramid",  "python",   "quail",
    "quarter",  "quest",    "quick",    "quiet",    "quilt",    "quiz",     "rabbit",   "race",
    "radar",    "radio",    "radish",   "raffle",   "raft",     "rainbow",  "raisin",   "ranch",
    "rapid",    "rare",     "raven",    "ready",    "recipe",   "record",   "reef",     "reindeer",
    "relax",    "remote",   "rescue",   "reward",   "ribbon",   "rice",     "riddle",   "ride",
    "ridge",    "river",    "robin",    "robot",    "rock",     "rocket",   "rodeo",    "rooster",
    "rope",     "rosy",     "rowboat",  "rowing",   "royal",    "rubber",   "ruby",     "rugby",
    "ruler",    "run",      "rust",     "rusty",    "saddle",   "safari",   "saffron",  "sailor",
    "salad",    "salmon",   "salsa",    "sandal",   "sandbox",  "sapling",  "sardine",  "satin",
    "sauce",    "sausage",  "scale",    "scarf",    "scarlet",  "school",   "scooter",  "scout",
    "seal",     "seashell", "season",   "secret",   "sequel",   "shadow",   "shark",    "sheep",
    "shelf",    "shield",   "shiny",    "ship",     "shop",     "shore",    "shovel",   "shrimp",
    "signal",   "silent",   "silk",     "silky",    "silver",   "simple",   "sing",     "siren",
    "skate",    "sketch",   "ski",      "skunk",    "sky",      "skylark",  "sled",     "sleep",
    "sleepy",   "slide",    "slipper",  "slogan",   "sloth",    "smart",    "smile",    "smooth",
    "snack",    "snail",    "snake",    "sneeze",   "snore",    "snow",     "snowman",  "snowy",
    "soccer",   "socket",   "sofa",     "soil",     "solar",    "solid",    "sonar",    "song",
    "soup",     "spark",    "sparrow",  "spice",    "spider",   "spin",     "spinach",  "splash",
    "sponge",   "spoon",    "sport",    "spray",    "spring",   "sprint",   "spruce",   "square",
    "squid",    "stadium",  "stamp",    "star",     "starfish", "station",  "statue",   "sticker",
    "stone",    "stool",    "storm",    "story",    "stream",   "stripe",   "studio",   "sugar",
    "suitcase", "summer",   "summit",   "sunbeam",  "sunny",    "sunrise",  "sunset",   "super",
    "supper",   "surfing",  "sushi",    "swan",     "sweater",  "swift",    "swim",     "swing",
    "switch",   "symbol",   "syrup",    "system",   "table",    "tablet",   "taco",     "talent",
    "tan",      "target",   "teacher",  "teacup",   "teal",     "teapot",   "temple",   "tempo",
    "tennis",   "tent",     "theory",   "thimble",  "thread",   "throw",    "thunder",  "ticket",
    "tidy",     "tiger",    "timber",   "tinsel",   "tiny",     "toast",    "toffee",   "tofu",
    "token",    "tomato",   "topaz",    "topic",    "torch",    "tornado",  "total",    "toucan",
    "tower",    "town",     "toy",      "tractor",  "train",    "travel",   "tree",     "treetop",
    "trolley",  "trophy",   "trout",    "trumpet",  "tuba",     "tugboat",  "tulip",    "tumble",
    "tuna",     "tundra",   "tunnel",   "turkey",   "turnip",   "turtle",   "twig",     "twirl",
    "umbrella", "unicorn",  "unit",     "urban",    "valley",   "vanilla",  "vase",     "vector",
    "velvet",   "venue",    "verse",    "vessel",   "video",    "village",  "viola",    "violet",
    "violin",   "viper",    "visa",     "vision",   "visit",    "vitamin",  "vivid",    "voice",
    "volcano",  "volume",   "voyage",   "wafer",    "waffle",   "wagon",    "waiter",   "walk",
    "wallet",   "walnut",   "walrus",   "wander",   "warm",     "wasp",     "water",    "wealth",
    "weasel",   "weekend",  "wheat",    "whisker",  "whisper",  "whistle",  "white",    "widget",
    "wild",     "willow",   "wind",     "windmill", "window",   "wink",     "winner",   "winter",
    "wire",     "wisdom",   "witty",    "wizard",   "wolf",     "wombat",   "wonder",   "worm",
    "yacht",    "yak",      "yard",     "yarn",     "yawn",     "yellow",   "yodel",    "yoga",
    "young",    "zebra",    "zero",     "zesty",    "zigzag",   "zipper",   "zodiac",   "zoom",
};

// The longest word has 8 letters; anything longer cannot match and is not copied.
constexpr size_t kMaxWordLength = 8;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

const std::array<std::string_view, kWordCount>& word_list() {
  return kWords;
}

std::string_view word_at(uint16_t index) {
  assert(index < kWordCount);
  return kWords[index];
}

std::optional<uint16_t> word_index(std::string_view typed) {
  while (!typed.empty() && is_space(typed.front())) typed.remove_prefix(1);
  while (!typed.empty() && is_space(typed.back())) typed.remove_suffix(1);
  if (typed.empty() || typed.size() > kMaxWordLength) return std::nullopt;
  std::string lower(typed);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const auto it = std::lower_bound(kWords.begin(), kWords.end(), std::string_view(lower));
  if (it == kWords.end() || *it != lower) return std::nullopt;
  return static_cast<uint16_t>(it - kWords.begin());
}

}  // namespace ferry::session
