package integration

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebUIFrameworks drives the web UI's apps page in headless Chromium
// against a real master, agent, Marathon and Chronos, both allowing the
// master's origin (as `agora dev` runs them): the page follows a Marathon
// app as it scales without a reload, shows a deployment that cannot
// progress with its step and the reason it waits, and Chronos's jobs with
// their last result and recent runs; a Marathon task links to its app.
func TestWebUIFrameworks(t *testing.T) {
	m := startMaster(t)
	startAgent(t, m, "webui-fw-agent")
	b := startBrowser(t, 60*time.Second)
	shots := artifactsDir(t)
	mp := startMarathon(t, m, "--access_control_allow_origin="+m.url)
	chronos, _ := startChronos(t, m, "--access_control_allow_origin="+m.url)
	jobs := chronos + "/v1/scheduler"

	mp.mustDo(t, "POST", "/v2/apps", `{"id":"/webui/sleepy","cmd":"sleep 300","instances":2,"cpus":0.1,"mem":32}`, 201, nil)
	// Far in the future: these jobs run only when asked to.
	const later = `"schedule":"R/2099-01-01T00:00:00Z/PT24H","cpus":0.1,"mem":32,"retries":0`
	chronosCall(t, "POST", jobs+"/iso8601", `{"name":"webui-ok","command":"echo ok",`+later+`}`, 204)
	chronosCall(t, "POST", jobs+"/iso8601", `{"name":"webui-bad","command":"exit 3",`+later+`}`, 204)
	chronosCall(t, "PUT", jobs+"/job/webui-ok", "", 204)
	chronosCall(t, "PUT", jobs+"/job/webui-bad", "", 204)

	b.do("loading the apps page", chromedp.Navigate(m.url+"/#/apps"))
	b.eval("marking the page", `window.notReloaded = true`)
	appCell := func(id string, col int) string {
		return `((document.querySelector('.marathon-apps tr[data-app="` + id + `"]') || {}).cells || [])[` + strconv.Itoa(col) + `]?.textContent`
	}
	b.waitJS("the app with 2 of 2 running", appCell("/webui/sleepy", 2)+` === '2 / 2'`, 15*time.Second)
	b.waitJS("the app running, its deployment done", appCell("/webui/sleepy", 1)+` === 'Running'`, 5*time.Second)

	mp.mustDo(t, "PUT", "/v2/apps/webui/sleepy", `{"instances":3}`, 200, nil)
	b.waitJS("the app scaled to 3 of 3 without a reload", appCell("/webui/sleepy", 2)+` === '3 / 3'`, 10*time.Second)

	// No agent has this hostname: the deployment waits, and says why.
	mp.mustDo(t, "POST", "/v2/apps", `{"id":"/webui/stuck","cmd":"sleep 300","instances":1,"cpus":0.1,"mem":32,"constraints":[["hostname","CLUSTER","nowhere"]]}`, 201, nil)
	const dep = `(document.querySelector('.marathon-deployments .deployment') || {})`
	// Marathon starts a new app in two steps: StartApplication (0 instances),
	// then ScaleApplication, which waits.
	b.waitJS("the deployment with its step progress", dep+`.textContent?.includes('step 2 of 2') && `+
		dep+`.querySelector('tr:nth-child(1) .step.done') !== null && `+dep+`.querySelector('tr.current .step.in-progress') !== null`, 10*time.Second)
	b.waitJS("what the deployment waits for",
		`[...document.querySelectorAll('.marathon-deployments .waiting')].some((w) => w.textContent.includes('1 instance(s) to launch') && w.textContent.includes('UnfulfilledConstraint'))`,
		15*time.Second)
	b.waitJS("the waiting app's status", appCell("/webui/stuck", 1)+` === 'Waiting'`, 5*time.Second)

	jobCell := func(name string, col int) string {
		return `((document.querySelector('.chronos-jobs tr[data-job="` + name + `"]') || {}).cells || [])[` + strconv.Itoa(col) + `]?.textContent`
	}
	b.waitJS("the job that succeeded, with its run", jobCell("webui-ok", 2)+` === 'success' && `+jobCell("webui-ok", 9)+`.startsWith('success')`, 15*time.Second)
	b.waitJS("the job that failed, with its run", jobCell("webui-bad", 2)+` === 'failure' && `+jobCell("webui-bad", 9)+`.startsWith('failure')`, 10*time.Second)
	b.screenshot(shots, "apps")

	// A Marathon task in the tasks view links to its app.
	b.eval("opening the tasks page", `location.hash = '#/tasks?state=live'`)
	b.waitJS("the app's tasks listed", `document.querySelectorAll('#tasks a.owner').length === 3`, 5*time.Second)
	b.do("following a task to its app", chromedp.Click(chromedp.CSS(`#tasks a.owner`)))
	b.waitJS("the app's page", `document.querySelector('main h1').textContent === 'App /webui/sleepy'`, 5*time.Second)
	b.waitJS("the app alone, with its tasks",
		`document.querySelectorAll('.marathon-apps tbody tr').length === 1 && [...document.querySelectorAll('#app-tasks tbody tr')].filter((tr) => tr.textContent.includes('webui_sleepy.') && tr.textContent.includes('RUNNING')).length === 3`,
		10*time.Second)

	// A job's page lists its runs.
	b.eval("opening the job", `location.hash = '#/apps?job=webui-bad'`)
	b.waitJS("the job's runs", `(document.querySelector('.chronos-history tbody tr') || {}).textContent?.includes('failure')`, 10*time.Second)

	if b.text("#conn") != "live" || !b.evalBool(`window.notReloaded === true`) {
		t.Error("the page reloaded; it must follow the cluster without one")
	}
}
