package lualib

import (
	"context"
	"math/big"
	"strings"

	"github.com/dialua/dialua/dial"
)

// usageKey names a deployment on the server of a client.
type usageKey struct {
	c          *dial.Client
	deployment string
}

// deploymentUsage is the tokens a run used of one deployment, and whether its pricing may be
// looked up after the run: not through a client whose credentials are Lua functions, which
// only run on the script's thread.
type deploymentUsage struct {
	prompt, completion int64
	unpriceable        bool
}

// markScripted records that c's credentials are Lua functions.
func (m *Dial) markScripted(c *dial.Client) {
	if m.scripted == nil {
		m.scripted = map[*dial.Client]bool{}
	}
	m.scripted[c] = true
}

// addFor records the tokens of a response from deployment on c, for Cost; priceable is false
// when c must not be used once the run is over.
func (u *UsageCounter) addFor(c *dial.Client, deployment string, prompt, completion int64, priceable bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byDeployment == nil {
		u.byDeployment = map[usageKey]*deploymentUsage{}
	}
	k := usageKey{c, deployment}
	if u.byDeployment[k] == nil {
		u.byDeployment[k] = &deploymentUsage{}
	}
	u.byDeployment[k].prompt += prompt
	u.byDeployment[k].completion += completion
	u.byDeployment[k].unpriceable = u.byDeployment[k].unpriceable || !priceable
}

// Cost prices the usage recorded so far with the pricing of each deployment used, read from
// its model listing (GET /openai/models/{id}) through the client that made the calls; call it
// before the clients' pool is closed. known is false when nothing was recorded or when a
// deployment's cost is unknown: an application, a model without token pricing, a failed
// lookup, a client whose credentials are Lua functions.
func (u *UsageCounter) Cost(ctx context.Context) (cost *big.Rat, known bool) {
	u.mu.Lock()
	used := make(map[usageKey]deploymentUsage, len(u.byDeployment))
	for k, v := range u.byDeployment {
		used[k] = *v
	}
	u.mu.Unlock()
	if len(used) == 0 {
		return nil, false
	}
	cost = new(big.Rat)
	for k, v := range used {
		if v.unpriceable {
			return nil, false
		}
		model, err := k.c.GetModel(ctx, k.deployment)
		if err != nil {
			return nil, false
		}
		c, ok := model.Pricing.Cost(v.prompt, v.completion)
		if !ok {
			return nil, false
		}
		cost.Add(cost, c)
	}
	return cost, true
}

// FormatCost writes a cost as a decimal without trailing zeros, rounded to 12 places:
// "0.0000625".
func FormatCost(cost *big.Rat) string {
	s := strings.TrimRight(cost.FloatString(12), "0")
	return strings.TrimSuffix(s, ".")
}
