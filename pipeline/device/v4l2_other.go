//go:build !linux

package device

import "errors"

func queryV4L2(path string) (nodeInfo, error) {
	return nodeInfo{}, errors.New("V4L2 cameras are supported on Linux only")
}
