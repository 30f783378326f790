// Package webui is the master's web UI: static HTML, CSS and JavaScript
// (ES modules, no build step, nothing from a CDN) embedded in the binary
// and served at "/" (the page) and under "/ui/" (its assets).
//
// The page keeps itself current from the operator API's event stream
// (POST /api/v1, SUBSCRIBE) and reads sandboxes through the master's
// /agents/{agent_id}/files/* proxy, so the browser only ever talks to the
// master's origin — except for the optional fetches of the bundled
// Marathon and Chronos frameworks' own APIs at their webui_url.
//
// It is not an API: it renders what the master already serves and holds
// no state of its own.
package webui

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gorilla/mux"
)

//go:embed static
var static embed.FS

// Prefix is where the assets are served; index.html refers to them there.
const Prefix = "/ui/"

// ContentSecurityPolicy is sent with every UI response. Scripts, styles
// and images come only from the master; fetches may also go to the
// Marathon and Chronos frameworks' webui_url (http: or https:), which
// is how the page shows their apps and jobs. connect-src does not list
// those origins: the page outlives the state it was served with, and a
// framework that registers (or fails over to another host) later must
// still be readable without a reload. Data reaches the page only
// through textContent, and this policy is the second line of defence.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the UI: "/" (and "/index.html") answer the page, paths
// under Prefix the assets. Anything else is 404.
type Handler struct {
	files fs.FS
}

// New returns the UI handler.
func New() *Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil { // the embed directive guarantees the directory
		panic(err)
	}
	return &Handler{files: sub}
}

// Register serves the UI on r at "/", "/index.html" and under Prefix.
func Register(r *mux.Router) {
	h := New()
	r.Handle("/", h)
	r.Handle("/index.html", h)
	r.PathPrefix(Prefix).Handler(h)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "the web UI answers only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	name, ok := assetName(r.URL.Path)
	if !ok {
		http.Error(w, "no such page: "+r.URL.Path, http.StatusNotFound)
		return
	}
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.Error(w, "no such asset: "+r.URL.Path, http.StatusNotFound)
		return
	}
	hdr.Set("Content-Type", contentType(name))
	// The assets change only with the binary; revalidating keeps an
	// upgraded master from serving a stale mix of modules.
	hdr.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

// assetName maps a request path to a file under static/.
func assetName(p string) (string, bool) {
	if p == "/" || p == "/index.html" {
		return "index.html", true
	}
	rest, ok := strings.CutPrefix(p, Prefix)
	if !ok || rest == "" {
		return "", false
	}
	clean := path.Clean("/" + rest)[1:]
	if clean != rest || !fs.ValidPath(clean) {
		return "", false
	}
	return clean, true
}

// contentType names the types the UI uses explicitly: ES modules must be
// served as JavaScript, and the host's MIME table may not know them all.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
