package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// NewLogger builds the logger the --log-format and --log-level flags ask
// for. The console format is coloured only when w is a terminal: a file or
// a pipe gets plain text. Writes to w are serialised, so any writer will
// do (the service logs from several goroutines).
func NewLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	color := IsTerminal(w)
	w = zerolog.SyncWriter(w)
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !color}
	default:
		return zerolog.Nop(), fmt.Errorf("--log-format %q: want json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", "complaintd").Logger(), nil
}

// IsTerminal reports whether w is a character device (a terminal), where
// colour codes are read as colours rather than stored as text.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
