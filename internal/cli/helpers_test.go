package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
)

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }

func writeJSONTest(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
