package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebUI drives the master's web UI in headless Chromium against real
// processes: the dashboard sees an agent join and the tasks page sees a
// task start without reloading (the operator event stream), and the task's
// page tails its stdout through the master's agent-files proxy.
func TestWebUI(t *testing.T) {
	m := startMaster(t)
	b := startBrowser(t, 45*time.Second)
	shots := artifactsDir(t)

	b.do("loading the dashboard", chromedp.Navigate(m.url+"/"))
	// A reload would drop this marker; every check below expects it.
	b.eval("marking the page", `window.notReloaded = true`)
	b.waitJS("the event stream is live", `document.querySelector('#conn').dataset.state === 'live'`, 10*time.Second)
	b.waitJS("the dashboard shows no agents", `document.querySelector('#count-agents .value').textContent === '0'`, 5*time.Second)

	a := startAgent(t, m, "webui-agent")
	b.waitJS("the new agent on the dashboard", `document.querySelector('#count-agents .value').textContent === '1'`, 10*time.Second)
	b.waitJS("its CPUs in the totals", `document.querySelector('#resources tbody tr td:nth-child(2)').textContent === '2'`, 5*time.Second)
	b.screenshot(shots, "dashboard")

	b.eval("opening the agents page", `location.hash = '#/agents'`)
	b.waitJS("the agent listed", `document.querySelector('#agents').textContent.includes('webui-agent')`, 5*time.Second)
	if got := b.text("#agents"); !strings.Contains(got, a.id) {
		t.Errorf("agents page does not show the agent's ID %s: %q", a.id, got)
	}
	b.screenshot(shots, "agents")

	b.eval("opening the tasks page", `location.hash = '#/tasks'`)
	b.waitJS("an empty task list", `document.querySelector('#tasks').textContent.includes('No tasks')`, 5*time.Second)
	s := subscribe(t, m, map[string]any{"user": "root", "name": "webui-test"})
	s.launch(s.awaitOffer(a.id), "webui-task", "echo webui-marker; sleep 30", 0.1, 32)
	s.awaitStatus("webui-task", "TASK_RUNNING")
	b.waitJS("the task running in the list",
		`[...document.querySelectorAll('#tasks tbody tr')].some((tr) => tr.textContent.includes('webui-task') && tr.textContent.includes('RUNNING'))`,
		10*time.Second)

	b.do("opening the task", chromedp.Click(chromedp.CSS(`#tasks tbody a[href^="#/tasks/webui-task"]`)))
	b.waitJS("webui-marker in the stdout tail", `(document.querySelector('#tail-stdout') || {}).textContent?.includes('webui-marker')`, 10*time.Second)
	b.waitJS("the sandbox listing", `document.querySelector('#sandbox-listing').textContent.includes('stdout')`, 5*time.Second)
	b.screenshot(shots, "task")

	b.eval("opening the framework", `location.hash = '#/frameworks/`+s.frameworkID+`'`)
	b.waitJS("the framework's page", `document.querySelector('main h1').textContent === 'Framework webui-test'`, 5*time.Second)
	// 0.1 of the 2 CPUs is the framework's dominant share (32 of 1024 MB is less).
	b.waitJS("its dominant share", `document.querySelector('main dl').textContent.includes('5.0% (cpus)')`, 5*time.Second)
	b.eval("opening the roles", `location.hash = '#/roles'`)
	b.waitJS("the default role's allocation", `[...document.querySelectorAll('#roles tbody tr')].some((tr) => tr.cells[0].textContent === '*' && tr.cells[3].textContent === '0.10')`, 10*time.Second)

	if b.text("#conn") != "live" || !b.evalBool(`window.notReloaded === true`) {
		t.Error("the page reloaded; it must follow the cluster through the event stream")
	}
}
