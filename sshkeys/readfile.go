package sshkeys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/gitjira/gitjira/internal/safefile"
)

// ReadKeyFile reads a key file given by the user (a flag, the wizard's
// path field, a file in ~/.ssh): opened without blocking, a regular file
// only, at most MaxInputSize+1 bytes (so a huge file is refused by Parse
// without being loaded). Each failure is one line naming the file (as
// shown, shown) and what to do.
func ReadKeyFile(path, shown string) ([]byte, error) {
	f, _, err := safefile.Open(path, MaxInputSize)
	var refused *safefile.Error
	if errors.As(err, &refused) && refused.What == "a directory" {
		return nil, fmt.Errorf("%s is a directory: give the private key file inside it (e.g. %s/id_ed25519)", shown, strings.TrimRight(shown, "/"))
	}
	if errors.Is(err, safefile.ErrRefused) {
		return nil, err
	}
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s does not exist: give the path of the private key file (e.g. ~/.ssh/id_ed25519)", shown)
		case errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("%s cannot be read (permission denied): check the file's owner and mode", shown)
		}
		return nil, fmt.Errorf("cannot open %s: %v", shown, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("could not read %s: %v", shown, err)
	}
	return raw, nil
}
