// Package presets owns studio's broadcast configurations: the Preset type
// (source, video and audio encoding, destinations, recording), the unit
// types it is written in (Resolution, FrameRate, Bitrate), the built-in
// presets embedded from builtin/*.yaml, and loading user preset files.
//
// Loading follows the house config style (like mediamtx): defaults first,
// then strict YAML (unknown keys are errors), then ${NAME} environment
// expansion in source.input, outputs[].url and record.path, then Validate.
// Every error is an *Error that quotes the file, the line and the dotted key,
// e.g. `twitch.yaml:12: video.bitrate: must be > 0`. Stream keys never
// appear in errors: URLs are shown through MaskURL.
package presets
