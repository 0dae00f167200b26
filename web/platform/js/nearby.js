// Ferry's JS glue, part 10: what the home screen's nearby devices need of the page: this
// browser's generated device name and its "hide this device" switch (localStorage: they belong
// to the browser, not to a tab; neither is a secret), and the user agent for the device type.
'use strict';
(function (core) {
  const kNameKey = 'ferry.deviceName';
  const kHiddenKey = 'ferry.nearbyHidden';
  core.provide({
    nearbyName() {
      try { return localStorage.getItem(kNameKey) || ''; } catch (e) { return ''; }
    },
    setNearbyName(name) {
      try { localStorage.setItem(kNameKey, name); } catch (e) { /* storage off: a new name per load */ }
    },
    nearbyHidden() {
      try { return localStorage.getItem(kHiddenKey) === '1'; } catch (e) { return false; }
    },
    setNearbyHidden(on) {
      try { localStorage.setItem(kHiddenKey, on ? '1' : '0'); } catch (e) { /* storage off */ }
    },
    userAgent() { return navigator.userAgent || ''; },
  });
})(ferryCore);
