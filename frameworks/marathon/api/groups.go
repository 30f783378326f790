package api

import (
	"bytes"
	"math"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/agoraproject/agora/frameworks/marathon/state"
)

func groupPathID(r *http.Request) string {
	if v, ok := mux.Vars(r)["id"]; ok {
		return pathID(v)
	}
	return "/"
}

// GET /v2/groups[/{id}]?embed=
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	id := groupPathID(r)
	e := parseGroupEmbed(r.URL.Query()["embed"])
	tree := buildTree(s.b.Apps(e.app.needsTasks()), s.b.Groups())
	n := tree.find(id)
	if n == nil {
		return &state.NotFoundError{Kind: "Group", ID: id}
	}
	var buf bytes.Buffer
	if err := s.appendGroup(&buf, n, e); err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, buf.Bytes())
	return nil
}

// groupChange turns a group body into one change. Every group in the body
// becomes an explicit group (keeping its stored dependencies when the body
// names none); with replace (PUT), a group whose body names "apps" loses
// the apps not listed, and one whose body names "groups" loses the
// subgroups not listed.
func groupChange(spec *groupSpec, tree *groupNode, replace bool) state.Change {
	var ch state.Change
	listed := map[string]bool{}
	spec.walk(func(g *groupSpec) { listed[g.id] = true })
	listedUnder := func(id string) bool {
		for l := range listed {
			if within(l, id) {
				return true
			}
		}
		return false
	}
	spec.walk(func(g *groupSpec) {
		ch.Upsert = append(ch.Upsert, g.apps...)
		n := tree.find(g.id)
		if g.id != "/" {
			deps := g.deps
			if !g.hasDeps && n != nil && n.deps != nil {
				deps = n.deps
			}
			ch.Groups = append(ch.Groups, state.Group{ID: g.id, Dependencies: deps})
		}
		if !replace || n == nil {
			return
		}
		if g.hasApps {
			keep := map[string]bool{}
			for _, a := range g.apps {
				keep[a.ID] = true
			}
			for _, a := range n.apps {
				if !keep[a.App.ID] {
					ch.Delete = append(ch.Delete, a.App.ID)
				}
			}
		}
		if g.hasGroups {
			for _, c := range n.sortedChildren() {
				if !listedUnder(c.id) {
					ch.DeleteGroups = append(ch.DeleteGroups, c.id)
				}
			}
		}
	})
	return ch
}

// POST /v2/groups[/{id}]: create a group with its apps and subgroups (409
// when it exists).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	spec, force, err := s.readGroup(w, r)
	if err != nil {
		return err
	}
	tree := buildTree(s.b.Apps(false), s.b.Groups())
	if tree.find(spec.id) != nil {
		return &state.ConflictError{Message: "Group " + spec.id + " is already created. Use PUT to change this group."}
	}
	if spec.version != nil || spec.scaleBy != nil {
		return invalid("/", "version and scaleBy apply to existing groups; use PUT")
	}
	ch := groupChange(spec, tree, false)
	dep, err := s.b.Deploy(r.Context(), ch, force)
	if err != nil {
		return err
	}
	s.publishChange(r, ch)
	w.Header().Set("Location", "/v2/groups"+spec.id)
	writeDeployment(w, http.StatusCreated, dep)
	return nil
}

// PUT/PATCH /v2/groups[/{id}]: create or change a group; {"scaleBy": f}
// scales every app in it.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) error {
	spec, force, err := s.readGroup(w, r)
	if err != nil {
		return err
	}
	if spec.version != nil {
		return invalid("/version", "rolling a group back to a version is not supported; roll back its apps with PUT /v2/apps/{id} {\"version\": ...}")
	}
	tree := buildTree(s.b.Apps(false), s.b.Groups())
	var ch state.Change
	if spec.scaleBy != nil {
		n := tree.find(spec.id)
		if n == nil {
			return &state.NotFoundError{Kind: "Group", ID: spec.id}
		}
		n.walkApps(func(st *state.AppStatus) {
			a := st.App.Clone()
			a.Version, a.VersionInfo = "", nil
			a.Instances = int(math.Ceil(float64(a.Instances) * *spec.scaleBy))
			ch.Upsert = append(ch.Upsert, a)
		})
	} else {
		ch = groupChange(spec, tree, r.Method == http.MethodPut)
	}
	dep, err := s.b.Deploy(r.Context(), ch, force)
	if err != nil {
		return err
	}
	s.publishChange(r, ch)
	writeDeployment(w, http.StatusOK, dep)
	return nil
}

// DELETE /v2/groups[/{id}]: remove the group with everything in it.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	id := groupPathID(r)
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	tree := buildTree(s.b.Apps(false), s.b.Groups())
	n := tree.find(id)
	if n == nil {
		return &state.NotFoundError{Kind: "Group", ID: id}
	}
	var ch state.Change
	if id == "/" {
		for _, a := range n.apps {
			ch.Delete = append(ch.Delete, a.App.ID)
		}
		for _, c := range n.sortedChildren() {
			ch.DeleteGroups = append(ch.DeleteGroups, c.id)
		}
	} else {
		ch.DeleteGroups = []string{id}
	}
	dep, err := s.b.Deploy(r.Context(), ch, force)
	if err != nil {
		return err
	}
	s.publishChange(r, ch)
	writeDeployment(w, http.StatusOK, dep)
	return nil
}

func (s *Server) readGroup(w http.ResponseWriter, r *http.Request) (*groupSpec, bool, error) {
	force, err := boolParam(r, "force")
	if err != nil {
		return nil, false, err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, false, err
	}
	spec, err := decodeGroup(body, groupPathID(r), "")
	return spec, force, err
}

// publishChange emits api_post_event for every app a write defines, or one
// without a definition when it defines none.
func (s *Server) publishChange(r *http.Request, ch state.Change) {
	if len(ch.Upsert) == 0 {
		s.publishAPIPost(r, nil)
	}
	for _, a := range ch.Upsert {
		s.publishAPIPost(r, a)
	}
}
