// Package flv owns the FLV container as studio writes it: the file header,
// tag framing, and the AVC, AAC and onMetaData tag bodies used by the RTMP
// publisher and the recorder. It also holds a small FLV reader and body
// parsers for tests, tools and fuzzing.
//
// The Append* functions follow the strconv.Append* convention: they append to
// dst and return the extended slice, and they do not allocate when dst has
// enough capacity, so a publisher can reuse one buffer for every frame.
package flv
