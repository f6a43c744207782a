// Package device finds capture devices: X displays for screen capture,
// V4L2 cameras with the modes they offer, and the audio inputs malgo sees
// (microphones, line-ins, desktop-audio monitor sources). It does not
// capture; the sources in pipeline/source do, with what this package found.
//
// Errors are written for the person at the terminal: they say what was
// asked, what exists on this machine, and how to fix the usual causes.
package device
