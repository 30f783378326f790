package master

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/election"
	"github.com/agoraproject/agora/internal/zkurl"
	"github.com/agoraproject/agora/proto/codec"
)

// ElectionPrefix names the masters' contender znodes, as in Mesos, so tools
// that find a Mesos master find an Agora one.
const ElectionPrefix = "json.info_"

// DefaultZKSessionTimeout is Mesos's --zk_session_timeout. A leader that
// dies is replaced about this long later; see docs/ha.md for tuning it.
const DefaultZKSessionTimeout = 10 * time.Second

// newElector makes m a contender in the election at u: its znode holds
// m's MasterInfo as Mesos's JSON.
func newElector(m *Master, u zkurl.URL, sessionTimeout time.Duration, log *zap.Logger) (*election.Elector, error) {
	data, err := codec.JSON.Marshal(m.Info())
	if err != nil {
		return nil, fmt.Errorf("master info: %w", err)
	}
	return election.New(election.Config{
		Servers:        u.Servers,
		Path:           u.Path,
		Prefix:         ElectionPrefix,
		Data:           data,
		SessionTimeout: sessionTimeout,
		Auth:           u.Auth,
		Log:            log.Named("election"),
	})
}
