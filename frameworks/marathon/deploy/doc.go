// Package deploy is Marathon's pure deployment logic: the planner that turns
// current and target apps into ordered steps, the check of the dependency
// graph, the rolling-restart decision under an upgrade strategy, and the
// choice of instances to kill when scaling down. It takes state and returns
// decisions; it does no I/O, starts no goroutines and reads no clock. The
// scheduler core executes the steps and calls Restart and SelectKills again
// whenever what runs changes.
package deploy
