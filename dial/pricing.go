package dial

import "math/big"

// Cost prices prompt and completion tokens: prompt × Prompt + completion × Completion, exactly.
// ok is false when the pricing cannot price tokens: another unit than "token" (an empty unit
// means token) or a price that is not a decimal number. A missing price counts as zero.
func (p *Pricing) Cost(prompt, completion int64) (cost *big.Rat, ok bool) {
	if p == nil || (p.Unit != "" && p.Unit != "token") {
		return nil, false
	}
	cost = new(big.Rat)
	for _, part := range []struct {
		price  string
		tokens int64
	}{{p.Prompt, prompt}, {p.Completion, completion}} {
		if part.price == "" {
			continue
		}
		r, ok := new(big.Rat).SetString(part.price)
		if !ok {
			return nil, false
		}
		cost.Add(cost, r.Mul(r, new(big.Rat).SetInt64(part.tokens)))
	}
	return cost, true
}
