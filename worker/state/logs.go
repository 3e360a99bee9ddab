package state

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// LogTo sends go-redis's own messages (its connection pool's dial and
// hook failures, a connection it could not close) to log, as warnings
// from component "redis", instead of its default: plain lines on stderr,
// outside the worker's format and --log-level. go-redis has one logger per
// process, so the last call wins; the worker makes it once, when it opens
// a Redis history. Its messages name addresses, connection ids and
// errors, never a password or a record's contents; a message is cut to
// maxRedisLogBytes.
func LogTo(log zerolog.Logger) {
	redis.SetLogger(redisLog{log: log.With().Str("component", "redis").Logger()})
}

// maxRedisLogBytes bounds one message from go-redis.
const maxRedisLogBytes = 512

type redisLog struct{ log zerolog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	ev := l.log.Warn()
	if !ev.Enabled() {
		return
	}
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	msg = strings.TrimPrefix(msg, "redis: ")
	if len(msg) > maxRedisLogBytes {
		msg = strings.ToValidUTF8(msg[:maxRedisLogBytes], "") + "…"
	}
	ev.Msg(msg)
}
