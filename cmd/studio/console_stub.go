package main

// TEMPORARY (branch console): pipeline.Engine does not have AddDestination
// and RemoveDestination yet. Once it has them, delete this file and pass
// eng itself to tui.New in console.go (consoleController(eng) -> eng).

import (
	"errors"

	"studio/pipeline"
	"studio/tui"
)

// errNoDestinationControl is what the console shows until the engine can
// add and remove destinations.
var errNoDestinationControl = errors.New("this build of the engine cannot add or remove destinations yet")

// stubEngine is the engine with the two destination calls stubbed.
type stubEngine struct{ *pipeline.Engine }

func (stubEngine) AddDestination(name, url string) (string, error) {
	return "", errNoDestinationControl
}

func (stubEngine) RemoveDestination(name string) error { return errNoDestinationControl }

// consoleController is what the console drives.
func consoleController(e *pipeline.Engine) tui.Controller { return stubEngine{e} }
