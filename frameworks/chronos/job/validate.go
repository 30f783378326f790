package job

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// nameRE is what Chronos accepts in a job name: word characters, spaces,
// '.', '#' and '-'. Never ':' — it separates the fields of a task ID.
var nameRE = regexp.MustCompile(`^[\w .#-]+$`)

// Kind says which endpoint a job came through, which decides whether it
// needs a schedule or parents.
type Kind int

const (
	Scheduled Kind = iota // POST /scheduler/iso8601
	Dependent             // POST /scheduler/dependency
)

// Validate checks j as submitted through the endpoint of kind k. It does
// not parse the schedule (package schedule does) but requires one for a
// scheduled job. Every problem is reported, each naming its field.
func (j *Job) Validate(k Kind) error {
	var errs []error
	add := func(field, format string, args ...any) { errs = append(errs, fieldErr(field, format, args...)) }
	switch {
	case strings.TrimSpace(j.Name) == "":
		add("name", "required")
	case !nameRE.MatchString(j.Name):
		add("name", "%q may only contain letters, digits, '_', '-', '.', '#' and spaces", j.Name)
	}
	if strings.TrimSpace(j.Command) == "" && j.Container == nil {
		add("command", "required")
	}
	switch k {
	case Scheduled:
		if strings.TrimSpace(j.Schedule) == "" {
			add("schedule", "required for a scheduled job (e.g. \"R/2030-01-01T00:00:00Z/PT1H\")")
		}
		if len(j.Parents) > 0 {
			add("parents", "a scheduled job has no parents; post it to /scheduler/dependency")
		}
	case Dependent:
		if len(j.Parents) == 0 {
			add("parents", "required for a dependent job")
		}
		seen := map[string]bool{}
		for i, p := range j.Parents {
			switch {
			case p == j.Name:
				add(fmt.Sprintf("parents[%d]", i), "a job cannot depend on itself")
			case seen[p]:
				add(fmt.Sprintf("parents[%d]", i), "%q is listed twice", p)
			}
			seen[p] = true
		}
	}
	if j.Retries < 0 {
		add("retries", "must not be negative, got %d", j.Retries)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"cpus", j.Cpus}, {"mem", j.Mem}, {"disk", j.Disk}} {
		if r.v < 0 || r.v != r.v {
			add(r.name, "must not be negative, got %v", r.v)
		}
	}
	if j.Epsilon != "" {
		if _, err := ParseDuration(j.Epsilon); err != nil {
			add("epsilon", "%v", err)
		}
	}
	if j.Async {
		add("async", "asynchronous jobs are not supported")
	}
	errs = append(errs, j.validateLists()...)
	return errors.Join(errs...)
}

func (j *Job) validateLists() []error {
	var errs []error
	add := func(field, format string, args ...any) { errs = append(errs, fieldErr(field, format, args...)) }
	for i, e := range j.EnvironmentVariables {
		if e.Name == "" {
			add(fmt.Sprintf("environmentVariables[%d].name", i), "required")
		}
	}
	for i, f := range j.Fetch {
		if strings.TrimSpace(f.URI) == "" {
			add(fmt.Sprintf("fetch[%d].uri", i), "required")
		}
	}
	for i, u := range j.URIs {
		if strings.TrimSpace(u) == "" {
			add(fmt.Sprintf("uris[%d]", i), "must not be empty")
		}
	}
	for i, c := range j.Constraints {
		if err := c.validate(); err != nil {
			add(fmt.Sprintf("constraints[%d]", i), "%v", err)
		}
	}
	if c := j.Container; c != nil {
		errs = append(errs, c.validate()...)
	}
	return errs
}

func (c Constraint) validate() error {
	if c.Attribute == "" {
		return errors.New("the attribute is empty")
	}
	switch c.Operator {
	case OpEquals:
	case OpLike, OpUnlike:
		if _, err := regexp.Compile("^(?:" + c.Value + ")$"); err != nil {
			return fmt.Errorf("%s value is not a regular expression: %v", c.Operator, err)
		}
	default:
		return fmt.Errorf("operator %q is not one of EQUALS, LIKE, UNLIKE", c.Operator)
	}
	return nil
}

func (c *Container) validate() []error {
	var errs []error
	add := func(field, format string, args ...any) { errs = append(errs, fieldErr(field, format, args...)) }
	switch strings.ToUpper(c.Type) {
	case "", "DOCKER", "MESOS":
	default:
		add("container.type", "%q is not DOCKER or MESOS", c.Type)
	}
	if strings.TrimSpace(c.Image) == "" {
		add("container.image", "required")
	}
	switch strings.ToUpper(c.Network) {
	case "", "HOST", "BRIDGE", "NONE", "USER":
	default:
		add("container.network", "%q is not HOST, BRIDGE, NONE or USER", c.Network)
	}
	for i, v := range c.Volumes {
		if v.ContainerPath == "" {
			add(fmt.Sprintf("container.volumes[%d].containerPath", i), "required")
		}
		switch strings.ToUpper(v.Mode) {
		case "", "RW", "RO":
		default:
			add(fmt.Sprintf("container.volumes[%d].mode", i), "%q is not RW or RO", v.Mode)
		}
	}
	return errs
}
