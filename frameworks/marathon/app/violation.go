package app

// Violation is one failed validation rule at a JSON path ("/cpus",
// "/container/docker/image", "/dependencies(0)"), as Marathon's 422 body
// lists them. Package state aliases it as state.Violation.
type Violation struct {
	Path   string   `json:"path"`
	Errors []string `json:"errors"`
}
