// Package policy says how long simulated pods take: to start once their waits are met, and for
// Job pods to run. Rules match the pod's owner name (the Job's, the Deployment's, ...).
package policy

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"regexp"
	"strconv"
	"time"
)

// TimeScaleEnv overrides the file's timeScale (CI runs 0.2).
const TimeScaleEnv = "OSH_SIM_TIME_SCALE"

// Rule sets the durations of pods whose owner name matches the Go regexp Match. An absent
// value falls back to the policy's default.
type Rule struct {
	Match        string   `json:"match"`
	RunSeconds   *float64 `json:"runSeconds,omitempty"`
	StartSeconds *float64 `json:"startSeconds,omitempty"`
	re           *regexp.Regexp
}

// Implicit adds waits a chart only implies (a script that waits), as entrypoint env, to pods
// whose owner name matches. Used only when the controller is asked to.
type Implicit struct {
	Match string            `json:"match"`
	Env   map[string]string `json:"env"`
	re    *regexp.Regexp
}

type Policy struct {
	TimeScale            float64    `json:"timeScale"`
	JitterSeconds        float64    `json:"jitterSeconds"`
	Seed                 uint64     `json:"seed"`
	PodStartSeconds      float64    `json:"podStartSeconds"`
	DefaultJobRunSeconds float64    `json:"defaultJobRunSeconds"`
	Rules                []Rule     `json:"rules"`
	Implicit             []Implicit `json:"implicit"`
}

func seconds(s float64) *float64 { return &s }

// Default is the default duration policy (policy.json holds the same; a test keeps them equal).
func Default() *Policy {
	p := &Policy{TimeScale: 1, PodStartSeconds: 5, DefaultJobRunSeconds: 5,
		Rules: []Rule{
			{Match: "-db-sync$", RunSeconds: seconds(20)},
			{Match: "-db-init$", RunSeconds: seconds(5)},
			{Match: "-ks-(user|service|endpoints)$", RunSeconds: seconds(5)},
			{Match: "-rabbit-init$", RunSeconds: seconds(3)},
		},
		// keystone puts rabbit_init under dependencies.dynamic, which the job template never reads,
		// so keystone-rabbit-init declares no wait, though its script needs RabbitMQ.
		Implicit: []Implicit{{Match: "^keystone-rabbit-init$", Env: map[string]string{"DEPENDENCY_SERVICE": "rabbitmq"}}},
	}
	if err := p.compile(); err != nil {
		panic(err)
	}
	return p
}

// Load reads a policy file ("" means Default); absent keys keep their defaults. The time scale
// is then taken from OSH_SIM_TIME_SCALE when that is set.
func Load(path string) (*Policy, error) {
	p := Default()
	if path != "" {
		if err := p.read(path); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if v := os.Getenv(TimeScaleEnv); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", TimeScaleEnv, v, err)
		}
		p.TimeScale = s
	}
	if p.TimeScale < 0 || math.IsNaN(p.TimeScale) || math.IsInf(p.TimeScale, 0) {
		return nil, fmt.Errorf("timeScale %v is not a finite number >= 0", p.TimeScale)
	}
	if err := p.compile(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// read overlays the keys the file sets. Lists are replaced whole: decoding onto the default
// lists would merge into their elements.
func (p *Policy) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var v struct {
		TimeScale            *float64    `json:"timeScale"`
		JitterSeconds        *float64    `json:"jitterSeconds"`
		Seed                 *uint64     `json:"seed"`
		PodStartSeconds      *float64    `json:"podStartSeconds"`
		DefaultJobRunSeconds *float64    `json:"defaultJobRunSeconds"`
		Rules                *[]Rule     `json:"rules"`
		Implicit             *[]Implicit `json:"implicit"`
	}
	d := json.NewDecoder(f)
	d.DisallowUnknownFields() // a misspelt key would silently keep a default
	if err := d.Decode(&v); err != nil {
		return err
	}
	set := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.TimeScale, v.TimeScale)
	set(&p.JitterSeconds, v.JitterSeconds)
	set(&p.PodStartSeconds, v.PodStartSeconds)
	set(&p.DefaultJobRunSeconds, v.DefaultJobRunSeconds)
	if v.Seed != nil {
		p.Seed = *v.Seed
	}
	if v.Rules != nil {
		p.Rules = *v.Rules
	}
	if v.Implicit != nil {
		p.Implicit = *v.Implicit
	}
	return nil
}

func (p *Policy) compile() error {
	for i := range p.Rules {
		re, err := regexp.Compile(p.Rules[i].Match)
		if err != nil {
			return fmt.Errorf("rule %d: %w", i, err)
		}
		p.Rules[i].re = re
	}
	for i := range p.Implicit {
		re, err := regexp.Compile(p.Implicit[i].Match)
		if err != nil {
			return fmt.Errorf("implicit %d: %w", i, err)
		}
		p.Implicit[i].re = re
	}
	return nil
}

// Durations returns, scaled, how long a pod takes to start after its waits are met and, for a
// Job pod, how long it then runs. owner is the owner's name; key (the pod's namespace/name)
// seeds the jitter, so the same pod always gets the same durations.
func (p *Policy) Durations(owner string, isJob bool, key string) (start, run time.Duration) {
	s, r := p.PodStartSeconds, p.DefaultJobRunSeconds
	for _, rule := range p.Rules {
		if rule.re.MatchString(owner) {
			if rule.StartSeconds != nil {
				s = *rule.StartSeconds
			}
			if rule.RunSeconds != nil {
				r = *rule.RunSeconds
			}
			break
		}
	}
	start = p.scale(s + p.jitter(key+"/start"))
	if isJob {
		run = p.scale(r + p.jitter(key+"/run"))
	}
	return start, run
}

// ImplicitEnv returns the extra entrypoint env of the first implicit rule matching owner.
func (p *Policy) ImplicitEnv(owner string) map[string]string {
	for _, im := range p.Implicit {
		if im.re.MatchString(owner) {
			return im.Env
		}
	}
	return nil
}

// jitter is uniform in [-JitterSeconds, +JitterSeconds], from a hash of the seed and key.
func (p *Policy) jitter(key string) float64 {
	if p.JitterSeconds == 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", p.Seed, key)
	u := float64(h.Sum64()>>11) / (1 << 53) // [0,1)
	return (2*u - 1) * p.JitterSeconds
}

func (p *Policy) scale(sec float64) time.Duration {
	return time.Duration(math.Max(0, sec) * p.TimeScale * float64(time.Second))
}
