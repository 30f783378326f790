package core

import (
	"strings"
	"testing"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	"github.com/agoraproject/agora/frameworks/marathon/placement"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
)

func TestTaskInfoTranslation(t *testing.T) {
	hp := 0
	a := app.New("/prod/db")
	a.Cmd = nil
	a.Args = []string{"postgres", "-p", "5432"}
	a.Container = &app.Container{Type: "DOCKER", Docker: &app.Docker{Image: "postgres:16", Parameters: []app.DockerParam{{Key: "ulimit", Value: "nofile=1024"}}},
		PortMappings: []app.PortMapping{{ContainerPort: 5432, HostPort: &hp, Protocol: "tcp", Name: "pg"}}}
	a.Networks = []app.Network{{Mode: "container/bridge"}}
	a.Labels = map[string]string{"team": "data"}
	a.Env = app.Env{"PORT0": "override"}
	grace := 30.0
	a.TaskKillGracePeriodSeconds = &grace
	a.HealthChecks = []app.HealthCheck{app.DefaultHealthCheck()}
	a.HealthChecks[0].Protocol = "MESOS_TCP"
	a.HealthChecks[0].PortIndex = ptr(0)
	a.Version = "2026-11-26T10:00:00.000Z"
	tk := &task{ID: app.TaskID(a.ID, "u1"), Host: "h1", Ports: []int{31005}}
	ti := taskInfo(a, tk, placement.Launch{AgentID: "S1", Hostname: "h1", HostPorts: []int{31005}})

	if ti.GetName() != "db" || ti.GetTaskId().GetValue() != "prod_db.u1" || ti.GetAgentId().GetValue() != "S1" {
		t.Fatalf("identity %v", ti)
	}
	cmd := ti.GetCommand()
	if cmd.GetShell() || cmd.Value != nil || strings.Join(cmd.GetArguments(), " ") != "postgres -p 5432" {
		t.Fatalf("docker args command %v", cmd)
	}
	d := ti.GetContainer().GetDocker()
	if ti.GetContainer().GetType() != mesos.ContainerInfo_DOCKER || d.GetImage() != "postgres:16" ||
		d.GetNetwork() != mesos.ContainerInfo_DockerInfo_BRIDGE || len(d.GetPortMappings()) != 1 ||
		d.GetPortMappings()[0].GetHostPort() != 31005 || d.GetPortMappings()[0].GetContainerPort() != 5432 ||
		d.GetParameters()[0].GetKey() != "ulimit" {
		t.Fatalf("container %v", ti.GetContainer())
	}
	env := envOf(ti)
	if env["PORT0"] != "override" || env["PORT_PG"] != "31005" || env["PORTS"] != "31005" ||
		env["MARATHON_APP_DOCKER_IMAGE"] != "postgres:16" || env["MARATHON_APP_LABEL_TEAM"] != "data" || env["HOST"] != "h1" {
		t.Fatalf("env %v", env)
	}
	if ti.GetKillPolicy().GetGracePeriod().GetNanoseconds() != 30e9 {
		t.Fatalf("kill policy %v", ti.GetKillPolicy())
	}
	hc := ti.GetHealthCheck()
	if hc.GetType() != mesos.HealthCheck_TCP || hc.GetTcp().GetPort() != 5432 || hc.GetGracePeriodSeconds() != 300 {
		t.Fatalf("health check %v (bridge networking probes the container port)", hc)
	}
	if ti.GetLabels().GetLabels()[0].GetKey() != "team" {
		t.Fatalf("labels %v", ti.GetLabels())
	}

	// MESOS container with a Docker image; a COMMAND check; cmd via shell.
	m := app.New("/web")
	m.Cmd = ptr("./serve")
	m.Container = &app.Container{Type: "MESOS", Docker: &app.Docker{Image: "nginx"}}
	m.HealthChecks = []app.HealthCheck{app.DefaultHealthCheck()}
	m.HealthChecks[0].Protocol = "COMMAND"
	m.HealthChecks[0].Command = &app.CommandCheck{Value: "curl -f localhost"}
	m.Fetch = []app.Fetch{{URI: "http://x/serve.tgz", Extract: true}}
	ti = taskInfo(m, &task{ID: "web.u2"}, placement.Launch{AgentID: "S1"})
	if ti.GetContainer().GetType() != mesos.ContainerInfo_MESOS || ti.GetContainer().GetMesos().GetImage().GetDocker().GetName() != "nginx" {
		t.Fatalf("mesos container %v", ti.GetContainer())
	}
	if !ti.GetCommand().GetShell() || ti.GetCommand().GetValue() != "./serve" || ti.GetCommand().GetUris()[0].GetValue() != "http://x/serve.tgz" {
		t.Fatalf("command %v", ti.GetCommand())
	}
	if ti.GetHealthCheck().GetType() != mesos.HealthCheck_COMMAND || ti.GetHealthCheck().GetCommand().GetValue() != "curl -f localhost" {
		t.Fatalf("command check %v", ti.GetHealthCheck())
	}
	if _, ok := envOf(ti)["PORT0"]; ok {
		t.Fatal("PORT0 without ports")
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{}.Validate()
	if err == nil || !strings.Contains(err.Error(), "Master") || !strings.Contains(err.Error(), "Store") {
		t.Fatalf("empty config: %v", err)
	}
	err = Config{Master: "m:5050", Store: nil, TaskLaunchTimeout: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "TaskLaunchTimeout") {
		t.Fatalf("negative timeout: %v", err)
	}
}
