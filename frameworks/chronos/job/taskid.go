package job

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TaskID is the Mesos task ID of one run, in Chronos's form
// "ct:<due millis>:<attempt>:<job name>:<arguments>", so the job of any
// task is derivable from its ID alone (job names hold no ':').
type TaskID struct {
	Due       time.Time // the occurrence (or run-now request) the run is for
	Attempt   int       // 0 for the first attempt, then 1, 2, ... for retries
	Job       string
	Arguments string // the run's arguments joined by spaces
}

func (t TaskID) String() string {
	return fmt.Sprintf("ct:%d:%d:%s:%s", t.Due.UnixMilli(), t.Attempt, t.Job, t.Arguments)
}

// ParseTaskID reads a task ID written by TaskID.String.
func ParseTaskID(s string) (TaskID, error) {
	parts := strings.SplitN(s, ":", 5)
	if len(parts) != 5 || parts[0] != "ct" || parts[3] == "" {
		return TaskID{}, fmt.Errorf("task ID %q is not ct:<millis>:<attempt>:<job>:<arguments>", s)
	}
	ms, err1 := strconv.ParseInt(parts[1], 10, 64)
	attempt, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || attempt < 0 {
		return TaskID{}, fmt.Errorf("task ID %q: bad due time or attempt", s)
	}
	return TaskID{Due: time.UnixMilli(ms).UTC(), Attempt: attempt, Job: parts[3], Arguments: parts[4]}, nil
}
