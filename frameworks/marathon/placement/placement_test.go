package placement

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/agoraproject/agora/frameworks/marathon/app"
	mesos "github.com/agoraproject/agora/proto/mesos/v1"
	"github.com/agoraproject/agora/proto/resources"
)

// offer builds an offer from Mesos resource text ("cpus:4;mem:1024;
// ports(*):[31000-31009]") and attribute text ("rack:r1;zone:a").
func offer(t testing.TB, host, res, attrs string) *mesos.Offer {
	t.Helper()
	rs, err := resources.Parse(res)
	if err != nil {
		t.Fatal(err)
	}
	var as []*mesos.Attribute
	if attrs != "" {
		if as, err = resources.ParseAttributes(attrs); err != nil {
			t.Fatal(err)
		}
	}
	return &mesos.Offer{
		Id:         &mesos.OfferID{Value: proto.String("offer-" + host)},
		AgentId:    &mesos.AgentID{Value: proto.String("agent-" + host)},
		Hostname:   proto.String(host),
		Resources:  rs,
		Attributes: as,
	}
}

func newApp(t testing.TB, body string) *app.App {
	t.Helper()
	a, err := app.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a.Normalize()
	if vs := a.Validate(); vs != nil {
		t.Fatalf("invalid app %s: %v", body, vs)
	}
	return a
}

func TestPlaceTakesResources(t *testing.T) {
	o := NewOffer(offer(t, "h1", "cpus:2;mem:512;disk:100;ports:[31000-31001,32000-32005]", ""))
	a := newApp(t, `{"id":"web","cmd":"x","cpus":0.5,"mem":128,"disk":10,"ports":[0,0,0]}`)
	l, reasons := o.Place(a, nil)
	if reasons != nil || !l.Ok() || !o.Used() {
		t.Fatalf("Place refused: %v", reasons)
	}
	if l.AgentID != "agent-h1" || l.Hostname != "h1" {
		t.Errorf("launch on %s/%s", l.AgentID, l.Hostname)
	}
	// Ports come from several ranges, lowest first.
	if !reflect.DeepEqual(l.HostPorts, []int{31000, 31001, 32000}) {
		t.Errorf("host ports %v", l.HostPorts)
	}
	if got := resources.String(l.Resources); got != "cpus(*):0.5; mem(*):128; disk(*):10; ports(*):[31000-31001, 32000-32000]" {
		t.Errorf("resources %s", got)
	}
	// What remains is the offer minus the launch.
	want := resources.Subtract(o.offer.GetResources(), l.Resources)
	if !resources.Equal(o.Remaining(), want) {
		t.Errorf("remaining %s, want %s", resources.String(o.Remaining()), resources.String(want))
	}
	// cpus would allow four; the 8 offered ports allow two.
	n := 1
	for {
		if _, r := o.Place(a, nil); r != nil {
			if !reflect.DeepEqual(r, []string{InsufficientPorts}) {
				t.Errorf("reasons %v", r)
			}
			break
		}
		n++
	}
	if n != 2 {
		t.Errorf("placed %d instances, want 2", n)
	}
}

func TestPlaceRejectReasons(t *testing.T) {
	small := "cpus:1;mem:256;disk:50;gpus:1;ports:[31000-31000]"
	for _, tc := range []struct {
		name, res, app string
		want           []string
	}{
		{"cpus", small, `{"id":"a","cmd":"x","cpus":2,"mem":10,"ports":[]}`, []string{InsufficientCpus}},
		{"mem", small, `{"id":"a","cmd":"x","cpus":1,"mem":257,"ports":[]}`, []string{InsufficientMemory}},
		{"disk", small, `{"id":"a","cmd":"x","cpus":1,"mem":1,"disk":51,"ports":[]}`, []string{InsufficientDisk}},
		{"gpus", small, `{"id":"a","cmd":"x","cpus":1,"mem":1,"gpus":2,"ports":[]}`, []string{InsufficientGpus}},
		{"ports", small, `{"id":"a","cmd":"x","cpus":1,"mem":1,"ports":[0,0]}`, []string{InsufficientPorts}},
		{"several", small, `{"id":"a","cmd":"x","cpus":4,"mem":1024,"ports":[]}`, []string{InsufficientCpus, InsufficientMemory}},
		{"reserved only", "cpus(prod):2;mem(prod):512", `{"id":"a","cmd":"x","cpus":1,"mem":1,"ports":[]}`, []string{UnfulfilledRole}},
		{"reserved port", "cpus:2;mem:512;ports(prod):[80-80]", `{"id":"a","cmd":"x","cpus":1,"mem":1,"requirePorts":true,"portDefinitions":[{"port":80}]}`, []string{UnfulfilledRole}},
		{"required port missing", "cpus:2;mem:512;ports:[31000-31005]", `{"id":"a","cmd":"x","cpus":1,"mem":1,"requirePorts":true,"portDefinitions":[{"port":80}]}`, []string{InsufficientPorts}},
		{"constraint", small, `{"id":"a","cmd":"x","cpus":1,"mem":1,"ports":[],"constraints":[["hostname","LIKE","other"]]}`, []string{UnfulfilledConstraint}},
	} {
		o := NewOffer(offer(t, "h1", tc.res, "rack:r1"))
		before := resources.String(o.Remaining())
		l, reasons := o.Place(newApp(t, tc.app), nil)
		if l.Ok() || !reflect.DeepEqual(reasons, tc.want) {
			t.Errorf("%s: reasons %v, want %v", tc.name, reasons, tc.want)
		}
		if after := resources.String(o.Remaining()); after != before || o.Used() {
			t.Errorf("%s: refused placement changed the offer: %s → %s", tc.name, before, after)
		}
	}
}

func TestPlaceRoles(t *testing.T) {
	res := "cpus(prod):1;cpus:1;mem(prod):100;mem:100;ports(prod):[80-80];ports:[31000-31000]"
	// Accepting the reservation draws from it first, then from unreserved.
	a := newApp(t, `{"id":"a","cmd":"x","cpus":1.5,"mem":50,"acceptedResourceRoles":["prod","*"],"requirePorts":true,"portDefinitions":[{"port":80}]}`)
	l, reasons := NewOffer(offer(t, "h", res, "")).Place(a, nil)
	if reasons != nil {
		t.Fatalf("refused: %v", reasons)
	}
	if got := resources.String(l.Resources); got != "cpus(prod):1; cpus(*):0.5; mem(prod):50; ports(prod):[80-80]" {
		t.Errorf("resources %s", got)
	}
	// Only the role: unreserved resources are not used.
	b := newApp(t, `{"id":"b","cmd":"x","cpus":1.5,"mem":50,"acceptedResourceRoles":["prod"],"ports":[]}`)
	if _, reasons := NewOffer(offer(t, "h", res, "")).Place(b, nil); !reflect.DeepEqual(reasons, []string{UnfulfilledRole}) {
		t.Errorf("reasons %v", reasons)
	}
}

func TestPlaceContainerPorts(t *testing.T) {
	a := newApp(t, `{"id":"a","cpus":0.1,"mem":10,"container":{"type":"DOCKER","docker":{"image":"nginx"},
		"portMappings":[{"containerPort":80,"hostPort":0},{"containerPort":81},{"containerPort":82,"hostPort":31005}]},
		"networks":[{"mode":"container/bridge"}]}`)
	l, reasons := NewOffer(offer(t, "h", "cpus:1;mem:100;ports:[31000-31010]", "")).Place(a, nil)
	if reasons != nil {
		t.Fatal(reasons)
	}
	if !reflect.DeepEqual(l.HostPorts, []int{31000, 0, 31005}) {
		t.Errorf("host ports %v", l.HostPorts)
	}
}

func TestPlaceConstraintsAcrossOffers(t *testing.T) {
	var offers []*Offer
	for i, rack := range []string{"r1", "r1", "r2", "r3"} {
		offers = append(offers, NewOffer(offer(t, fmt.Sprintf("h%d", i), "cpus:8;mem:8192;ports:[31000-31100]", "rack:"+rack)))
	}
	for _, tc := range []struct {
		constraints string
		want        map[string]int // instances per host
	}{
		{`[["hostname","UNIQUE"]]`, map[string]int{"h0": 1, "h1": 1, "h2": 1, "h3": 1}},
		{`[["rack","GROUP_BY"]]`, map[string]int{"h0": 1, "h1": 1, "h2": 2, "h3": 2}},
		{`[["rack","MAX_PER","1"]]`, map[string]int{"h0": 1, "h2": 1, "h3": 1}},
		{`[["rack","CLUSTER","r2"]]`, map[string]int{"h2": 6}},
		{`[["rack","UNLIKE","r[12]"]]`, map[string]int{"h3": 6}},
		{`[["rack","IS","r1"],["hostname","MAX_PER","2"]]`, map[string]int{"h0": 2, "h1": 2}},
	} {
		a := newApp(t, `{"id":"a","cmd":"x","cpus":0.1,"mem":1,"constraints":`+tc.constraints+`}`)
		// Place 6 instances, one per round over all offers, like the core.
		var existing []Instance
		got := map[string]int{}
		for round := 0; round < 6; round++ {
			for _, o := range offers {
				if len(existing) == 6 {
					break
				}
				if l, r := o.Place(a, existing); r == nil {
					existing = append(existing, o.Instance())
					got[l.Hostname]++
				}
			}
		}
		for h, n := range tc.want {
			if got[h] != n {
				t.Errorf("%s: %v, want %v", tc.constraints, got, tc.want)
				break
			}
		}
	}
}

func TestAgentAttributes(t *testing.T) {
	o := offer(t, "h1", "cpus:1", "rack:r1;level:2.5;pci:[1-2,5-6];os:{linux,x86}")
	got := AgentAttributes(o)
	want := map[string]string{"rack": "r1", "level": "2.5", "pci": "[1-2,5-6]", "os": "{linux,x86}", "hostname": "h1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
