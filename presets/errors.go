package presets

import (
	"errors"
	"io/fs"
	"strconv"
)

// Error is a preset problem located at a key of a file. Line is 0 when the
// position is unknown (for example a Preset built in code).
type Error struct {
	File   string // file name as given to Parse, or "NAME (built-in)"
	Line   int    // 1-based line, 0 when unknown
	Key    string // dotted key path such as "outputs[1].url"; "(root)" for the document
	Reason string // what is wrong, never containing a secret
}

// Error formats the error as "file:line: key: reason", leaving out the
// parts that are empty (":line" when Line is 0).
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if s != "" {
		s += ": "
	}
	if e.Key != "" {
		s += e.Key + ": "
	}
	return s + e.Reason
}

// ErrUnknownPreset is matched (errors.Is) by Load errors for a name that is
// neither a built-in preset nor an existing file.
var ErrUnknownPreset = errors.New("unknown preset")

// notFoundError is the Load error for a missing preset; it matches both
// ErrUnknownPreset and fs.ErrNotExist.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string   { return e.msg }
func (e *notFoundError) Unwrap() []error { return []error{ErrUnknownPreset, fs.ErrNotExist} }
