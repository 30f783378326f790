package app

import "strings"

// TaskID builds a task ID in Marathon's legacy form: the app path without
// its leading slash, "/" replaced by "_", then "." and a unique suffix.
// "/prod/web", "abc" → "prod_web.abc". App IDs never contain "_" (it is not
// in the ID alphabet), so the mapping is reversible.
func TaskID(appID string, uuid string) string {
	return strings.ReplaceAll(strings.TrimPrefix(CanonicalID(appID), "/"), "/", "_") + "." + uuid
}

// AppIDFromTaskID recovers the app ID from a legacy task ID: "prod_web.abc"
// → "/prod/web". Segments may contain dots, so the split is at the last
// dot. It reports false for IDs not of that form.
func AppIDFromTaskID(taskID string) (string, bool) {
	i := strings.LastIndexByte(taskID, '.')
	if i <= 0 || i == len(taskID)-1 {
		return "", false
	}
	return "/" + strings.ReplaceAll(taskID[:i], "_", "/"), true
}

// Parent is the group an app or group ID belongs to: "/prod/web" → "/prod",
// "/web" → "/", "/" → "/".
func Parent(id string) string {
	id = CanonicalID(id)
	i := strings.LastIndexByte(id, '/')
	if i <= 0 {
		return "/"
	}
	return id[:i]
}
