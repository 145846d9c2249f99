package emulator

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is a caller's rate limit on one deployment, as a Core role grants it. Zero fields
// are unlimited. Chat completions consume it: each request counts when it is admitted, its
// total_tokens when it is answered; a request arriving with a window used up is refused with
// 429, Core's message and a Retry-After until the window frees up.
//
// As in Core, a request's admission checks the windows and counts the request in one step, so
// concurrent requests never take more of a request window than it has left; its tokens are
// known only once it is answered, so requests admitted together may end up over a token window.
//
// As in Core, the minute and hour windows are trailing and the day, week and month windows are
// calendar-aligned (UTC, weeks starting on Monday).
type RateLimit struct {
	// Minute, Day, Week and Month bound the tokens used in the window.
	Minute int64 `json:"minute,omitempty"`
	Day    int64 `json:"day,omitempty"`
	Week   int64 `json:"week,omitempty"`
	Month  int64 `json:"month,omitempty"`
	// RequestHour and RequestDay bound the requests made in the window.
	RequestHour int64 `json:"request_hour,omitempty"`
	RequestDay  int64 `json:"request_day,omitempty"`
}

// Pricing is a model's price list, listed as Core lists it: decimal strings per unit.
type Pricing struct {
	// Unit is "token" (the default) or "char_without_whitespace".
	Unit       string `json:"unit,omitempty"`
	Prompt     string `json:"prompt"`
	Completion string `json:"completion"`
}

// defaultPricing is listed for a model without Pricing.
var defaultPricing = Pricing{Unit: "token", Prompt: "0.0000025", Completion: "0.00001"}

// unlimited is Core's total for a limit no role sets (Java's Long.MAX_VALUE).
const unlimited int64 = math.MaxInt64

// usageEvent is one request admitted, or one answer's tokens and cost.
type usageEvent struct {
	at      time.Time
	request bool
	tokens  int64
	cost    float64
}

// usageBook is what every caller has used of every deployment. The zero value is ready.
type usageBook struct {
	mu     sync.Mutex
	events map[*caller]map[string][]usageEvent
}

// add records ev for caller c and deployment id.
func (b *usageBook) add(c *caller, id string, ev usageEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record(c, id, ev)
}

// admit checks lim for a request of c on id at now and records the request unless a window is
// used up, under one lock: of concurrent requests, no more are admitted than the request windows
// have room for. It returns what [exceeded] does.
func (b *usageBook) admit(c *caller, id string, lim RateLimit, now time.Time) (msg string, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	msg, until = exceeded(lim, b.events[c][id], now)
	if msg == "" {
		b.record(c, id, usageEvent{at: now, request: true})
	}
	return msg, until
}

// record appends ev to the events of c on id; b.mu is held.
func (b *usageBook) record(c *caller, id string, ev usageEvent) {
	if b.events == nil {
		b.events = map[*caller]map[string][]usageEvent{}
	}
	if b.events[c] == nil {
		b.events[c] = map[string][]usageEvent{}
	}
	b.events[c][id] = append(b.events[c][id], ev)
}

// list returns a copy of the events of c on id.
func (b *usageBook) list(c *caller, id string) []usageEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]usageEvent(nil), b.events[c][id]...)
}

// window is one rate-limit window: trailing (span > 0) or calendar-aligned (start != nil).
type window struct {
	name  string // "minute", "hour", "day", "week", "month"
	span  time.Duration
	start func(now time.Time) (from, next time.Time)
}

var (
	minuteWindow = window{name: "minute", span: time.Minute}
	hourWindow   = window{name: "hour", span: time.Hour}
	dayWindow    = window{name: "day", start: func(now time.Time) (time.Time, time.Time) {
		d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		return d, d.AddDate(0, 0, 1)
	}}
	weekWindow = window{name: "week", start: func(now time.Time) (time.Time, time.Time) {
		from, _ := dayWindow.start(now)
		from = from.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
		return from, from.AddDate(0, 0, 7)
	}}
	monthWindow = window{name: "month", start: func(now time.Time) (time.Time, time.Time) {
		m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return m, m.AddDate(0, 1, 0)
	}}
)

// sum is what events used in w at now: requests, tokens and cost, and when the window frees
// up (the oldest event ageing out of a trailing window, the boundary of a calendar one).
func (w window) sum(events []usageEvent, now time.Time) (requests, tokens int64, cost float64, frees time.Time) {
	var from time.Time
	if w.start != nil {
		from, frees = w.start(now.UTC())
	} else {
		from = now.Add(-w.span)
	}
	for _, ev := range events {
		if !ev.at.After(from) {
			continue
		}
		if frees.IsZero() {
			frees = ev.at.Add(w.span)
		}
		if ev.request {
			requests++
		}
		tokens += ev.tokens
		cost += ev.cost
	}
	return requests, tokens, cost, frees
}

// limitOr returns n, or unlimited for zero.
func limitOr(n int64) int64 {
	if n <= 0 {
		return unlimited
	}
	return n
}

// admit checks c's rate limit on d before a chat request and records the request. Over the
// limit it answers 429 with Core's message and a Retry-After, and returns false.
func (e *Emulator) admit(w http.ResponseWriter, c *caller, d *deployment) bool {
	now := time.Now()
	msg, until := e.usage.admit(c, d.ID, c.limits[d.ID], now)
	if msg != "" {
		secs := int64(math.Ceil(until.Sub(now).Seconds()))
		w.Header().Set("Retry-After", strconv.FormatInt(max(1, secs), 10))
		jsonError(w, http.StatusTooManyRequests, errorBody{Message: msg, Code: "429",
			DisplayMessage: "You have exceeded your rate limit for " + d.ID + "."})
		return false
	}
	return true
}

// limitWindow is one window of a rate limit: tokens or requests.
type limitWindow struct {
	win      window
	limit    int64 // zero: unlimited
	requests bool
}

// exceeded returns Core's 429 message when a window of lim is used up by events at now, tokens
// checked first, then requests, and when the last used-up window of that kind frees up; "" when
// none is.
func exceeded(lim RateLimit, events []usageEvent, now time.Time) (msg string, until time.Time) {
	for _, kind := range []struct {
		what    string
		windows []limitWindow
	}{
		{"token", []limitWindow{{minuteWindow, lim.Minute, false}, {dayWindow, lim.Day, false},
			{weekWindow, lim.Week, false}, {monthWindow, lim.Month, false}}},
		{"request", []limitWindow{{hourWindow, lim.RequestHour, true}, {dayWindow, lim.RequestDay, true}}},
	} {
		parts := []string{"Hit " + kind.what + " rate limit."}
		for _, lw := range kind.windows {
			requests, tokens, _, frees := lw.win.sum(events, now)
			used := tokens
			if lw.requests {
				used = requests
			}
			if used >= limitOr(lw.limit) && frees.After(until) {
				until = frees
			}
			parts = append(parts, fmt.Sprintf("%s%s limit: %d / %d %ss.", strings.ToUpper(lw.win.name[:1]),
				lw.win.name[1:], used, limitOr(lw.limit), kind.what))
		}
		if !until.IsZero() {
			return strings.Join(parts, " "), until
		}
	}
	return "", time.Time{}
}

// consume records the tokens and cost of an answer of d to c.
func (e *Emulator) consume(c *caller, d *deployment, usage map[string]int) {
	prompt, completion := usage["prompt_tokens"], usage["completion_tokens"]
	e.usage.add(c, d.ID, usageEvent{at: time.Now(), tokens: int64(usage["total_tokens"]),
		cost: d.cost(prompt, completion)})
}

// cost prices prompt and completion tokens with d's pricing; 0 without one.
func (d *deployment) cost(prompt, completion int) float64 {
	p := d.pricing
	if p == nil || (p.Unit != "" && p.Unit != "token") {
		return 0
	}
	pp, _ := strconv.ParseFloat(p.Prompt, 64)
	cp, _ := strconv.ParseFloat(p.Completion, 64)
	return float64(prompt)*pp + float64(completion)*cp
}

// limitStats is Core's LimitStats of c on d at now: token and request use against the limits,
// and the cost used (with no cost budget, so unlimited totals).
func (e *Emulator) limitStats(c *caller, d *deployment, now time.Time) map[string]any {
	lim := c.limits[d.ID]
	events := e.usage.list(c, d.ID)
	out := map[string]any{}
	stat := func(key string, win window, limit int64, what string) {
		r, t, cost, frees := win.sum(events, now)
		s := map[string]any{"total": limitOr(limit), "used": t}
		switch what {
		case "request":
			s["used"] = r
		case "cost":
			s["used"] = cost
		}
		if win.start != nil {
			s["resetsAt"] = frees.Format(time.RFC3339)
		}
		out[key] = s
	}
	stat("minuteTokenStats", minuteWindow, lim.Minute, "token")
	stat("dayTokenStats", dayWindow, lim.Day, "token")
	stat("weekTokenStats", weekWindow, lim.Week, "token")
	stat("monthTokenStats", monthWindow, lim.Month, "token")
	stat("hourRequestStats", hourWindow, lim.RequestHour, "request")
	stat("dayRequestStats", dayWindow, lim.RequestDay, "request")
	for _, win := range []window{minuteWindow, dayWindow, weekWindow, monthWindow} {
		stat(win.name+"CostStats", win, 0, "cost")
	}
	return out
}

// used reports whether a LimitStats shows any use.
func used(stats map[string]any) bool {
	for _, s := range stats {
		switch u := s.(map[string]any)["used"].(type) {
		case int64:
			if u != 0 {
				return true
			}
		case float64:
			if u != 0 {
				return true
			}
		}
	}
	return false
}

// serveLimits answers GET /v1/deployments/{id}/limits.
func (e *Emulator) serveLimits(w http.ResponseWriter, c *caller, escaped string) {
	if d := e.lookup(w, c, escaped, ""); d != nil {
		writeJSON(w, http.StatusOK, e.limitStats(c, d, time.Now()))
	}
}

// serveUserLimits answers GET /v1/user/limits (onlyUsed false) and /v1/user/usage (onlyUsed
// true): the LimitStats of every model c may use, or of those it has used, and the cost
// figures summed over them at the top level.
func (e *Emulator) serveUserLimits(w http.ResponseWriter, c *caller, onlyUsed bool) {
	now := time.Now()
	deployments := map[string]any{}
	costs := map[string]float64{}
	for _, d := range e.ordered {
		if d.object != "model" || !c.mayUse(d.ID) {
			continue
		}
		stats := e.limitStats(c, d, now)
		for _, win := range []window{minuteWindow, dayWindow, weekWindow, monthWindow} {
			costs[win.name] += stats[win.name+"CostStats"].(map[string]any)["used"].(float64)
		}
		if !onlyUsed || used(stats) {
			deployments[d.ID] = stats
		}
	}
	out := map[string]any{"deployments": deployments}
	for _, win := range []window{minuteWindow, dayWindow, weekWindow, monthWindow} {
		out[win.name+"CostStats"] = map[string]any{"total": unlimited, "used": costs[win.name]}
	}
	writeJSON(w, http.StatusOK, out)
}
