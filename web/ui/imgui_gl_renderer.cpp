// Ferry's renderer for ImGui draw data. See imgui_gl_renderer.h.
#include "ui/imgui_gl_renderer.h"

#include <cstddef>
#include <cstdint>

namespace ferry::ui {

namespace {

// Vertex position in pixels, atlas coordinates and a packed RGBA colour (ImDrawVert's layout).
constexpr const char* kVertexShader = R"(#version 300 es
precision highp float;
layout (location = 0) in vec2 position;
layout (location = 1) in vec2 uv;
layout (location = 2) in vec4 color;
uniform mat4 projection;
out vec2 frag_uv;
out vec4 frag_color;
void main() {
  frag_uv = uv;
  frag_color = color;
  gl_Position = projection * vec4(position, 0.0, 1.0);
}
)";

constexpr const char* kFragmentShader = R"(#version 300 es
precision mediump float;
uniform sampler2D atlas;
in vec2 frag_uv;
in vec4 frag_color;
layout (location = 0) out vec4 out_color;
void main() { out_color = frag_color * texture(atlas, frag_uv); }
)";

constexpr GLuint kPositionAttribute = 0;
constexpr GLuint kUvAttribute = 1;
constexpr GLuint kColorAttribute = 2;

// Compiles one shader; on failure returns 0 and puts the driver's log into `error`.
GLuint compile(GLenum type, const char* source, std::string& error) {
  const GLuint shader = glCreateShader(type);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);  // once, at start-up
  if (ok == GL_TRUE) return shader;
  char log[512] = {};
  glGetShaderInfoLog(shader, sizeof log, nullptr, log);
  error = std::string(type == GL_VERTEX_SHADER ? "vertex" : "fragment") + " shader: " + log;
  glDeleteShader(shader);
  return 0;
}

GLuint texture_name(ImTextureID id) {
  return static_cast<GLuint>(reinterpret_cast<intptr_t>(id));
}

}  // namespace

ImGuiGlRenderer::~ImGuiGlRenderer() {
  if (font_texture_ != 0) glDeleteTextures(1, &font_texture_);
  if (ebo_ != 0) glDeleteBuffers(1, &ebo_);
  if (vbo_ != 0) glDeleteBuffers(1, &vbo_);
  if (vao_ != 0) glDeleteVertexArrays(1, &vao_);
  if (program_ != 0) glDeleteProgram(program_);
}

std::string ImGuiGlRenderer::init() {
  std::string error;
  const GLuint vs = compile(GL_VERTEX_SHADER, kVertexShader, error);
  if (vs == 0) return error;
  const GLuint fs = compile(GL_FRAGMENT_SHADER, kFragmentShader, error);
  if (fs == 0) {
    glDeleteShader(vs);
    return error;
  }
  program_ = glCreateProgram();
  glAttachShader(program_, vs);
  glAttachShader(program_, fs);
  glLinkProgram(program_);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint linked = GL_FALSE;
  glGetProgramiv(program_, GL_LINK_STATUS, &linked);
  if (linked != GL_TRUE) {
    char log[512] = {};
    glGetProgramInfoLog(program_, sizeof log, nullptr, log);
    return std::string("program: ") + log;
  }
  projection_ = glGetUniformLocation(program_, "projection");
  glUseProgram(program_);
  glUniform1i(glGetUniformLocation(program_, "atlas"), 0);

  glGenVertexArrays(1, &vao_);
  glGenBuffers(1, &vbo_);
  glGenBuffers(1, &ebo_);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, ebo_);  // recorded in the vertex array
  glEnableVertexAttribArray(kPositionAttribute);
  glEnableVertexAttribArray(kUvAttribute);
  glEnableVertexAttribArray(kColorAttribute);
  const GLsizei stride = sizeof(ImDrawVert);
  glVertexAttribPointer(kPositionAttribute, 2, GL_FLOAT, GL_FALSE, stride,
                        reinterpret_cast<void*>(offsetof(ImDrawVert, pos)));
  glVertexAttribPointer(kUvAttribute, 2, GL_FLOAT, GL_FALSE, stride,
                        reinterpret_cast<void*>(offsetof(ImDrawVert, uv)));
  glVertexAttribPointer(kColorAttribute, 4, GL_UNSIGNED_BYTE, GL_TRUE, stride,
                        reinterpret_cast<void*>(offsetof(ImDrawVert, col)));

  // Fixed state, set once: nothing else draws with this context.
  glEnable(GL_BLEND);
  glBlendEquation(GL_FUNC_ADD);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glDisable(GL_CULL_FACE);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_STENCIL_TEST);
  glActiveTexture(GL_TEXTURE0);

  ImGuiIO& io = ImGui::GetIO();
  io.BackendRendererName = "ferry_webgl2";
  // No ImGuiBackendFlags_RendererHasVtxOffset: WebGL2 has no base-vertex draw, so ImGui keeps
  // each draw list's vertices addressable by 16-bit indices.
  return {};
}

void ImGuiGlRenderer::upload_fonts() {
  ImGuiIO& io = ImGui::GetIO();
  unsigned char* pixels = nullptr;
  int width = 0;
  int height = 0;
  io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
  if (font_texture_ == 0) glGenTextures(1, &font_texture_);
  glBindTexture(GL_TEXTURE_2D, font_texture_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
  io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(font_texture_)));
  // The atlas's pixels live on in the texture: free ImGui's copy (megabytes at a high DPR).
  io.Fonts->ClearTexData();
}

void ImGuiGlRenderer::bind_state(const ImDrawData* data) {
  // Orthographic projection of ImGui's display rectangle (top-left origin) onto clip space.
  const float l = data->DisplayPos.x;
  const float r = data->DisplayPos.x + data->DisplaySize.x;
  const float t = data->DisplayPos.y;
  const float b = data->DisplayPos.y + data->DisplaySize.y;
  const float projection[4][4] = {
      {2.0f / (r - l), 0.0f, 0.0f, 0.0f},
      {0.0f, 2.0f / (t - b), 0.0f, 0.0f},
      {0.0f, 0.0f, -1.0f, 0.0f},
      {(r + l) / (l - r), (t + b) / (b - t), 0.0f, 1.0f},
  };
  glUseProgram(program_);
  glUniformMatrix4fv(projection_, 1, GL_FALSE, &projection[0][0]);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
}

void ImGuiGlRenderer::render(const ImDrawData* data) {
  const float fb_width = data->DisplaySize.x * data->FramebufferScale.x;
  const float fb_height = data->DisplaySize.y * data->FramebufferScale.y;
  if (fb_width <= 0 || fb_height <= 0 || data->CmdListsCount == 0) return;
  bind_state(data);
  glEnable(GL_SCISSOR_TEST);
  GLuint bound_texture = 0;
  const ImVec2 clip_off = data->DisplayPos;
  const ImVec2 clip_scale = data->FramebufferScale;
  for (int n = 0; n < data->CmdListsCount; ++n) {
    const ImDrawList* list = data->CmdLists[n];
    glBufferData(GL_ARRAY_BUFFER,
                 static_cast<GLsizeiptr>(list->VtxBuffer.Size * sizeof(ImDrawVert)),
                 list->VtxBuffer.Data, GL_STREAM_DRAW);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER,
                 static_cast<GLsizeiptr>(list->IdxBuffer.Size * sizeof(ImDrawIdx)),
                 list->IdxBuffer.Data, GL_STREAM_DRAW);
    for (const ImDrawCmd& cmd : list->CmdBuffer) {
      if (cmd.UserCallback != nullptr) {
        if (cmd.UserCallback == ImDrawCallback_ResetRenderState) {
          bind_state(data);
        } else {
          cmd.UserCallback(list, &cmd);
        }
        continue;
      }
      const float x0 = (cmd.ClipRect.x - clip_off.x) * clip_scale.x;
      const float y0 = (cmd.ClipRect.y - clip_off.y) * clip_scale.y;
      const float x1 = (cmd.ClipRect.z - clip_off.x) * clip_scale.x;
      const float y1 = (cmd.ClipRect.w - clip_off.y) * clip_scale.y;
      if (x1 <= x0 || y1 <= y0) continue;
      // GL's scissor origin is the bottom-left corner.
      glScissor(static_cast<GLint>(x0), static_cast<GLint>(fb_height - y1),
                static_cast<GLsizei>(x1 - x0), static_cast<GLsizei>(y1 - y0));
      const GLuint texture = texture_name(cmd.GetTexID());
      if (texture != bound_texture) {
        glBindTexture(GL_TEXTURE_2D, texture);
        bound_texture = texture;
      }
      glDrawElements(
          GL_TRIANGLES, static_cast<GLsizei>(cmd.ElemCount),
          sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
          reinterpret_cast<void*>(static_cast<intptr_t>(cmd.IdxOffset * sizeof(ImDrawIdx))));
    }
  }
  // The next frame's glClear must cover the whole canvas.
  glDisable(GL_SCISSOR_TEST);
}

}  // namespace ferry::ui
