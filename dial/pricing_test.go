package dial

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPricingCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		p      *Pricing
		want   string
		wantOK bool
	}{
		{"token", &Pricing{Unit: "token", Prompt: "0.0000025", Completion: "0.00001"}, "0.0000700000", true},
		{"empty unit is token", &Pricing{Prompt: "1", Completion: "2"}, "16.0000000000", true},
		{"missing completion price", &Pricing{Prompt: "0.5"}, "2.0000000000", true},
		{"characters", &Pricing{Unit: "char_without_whitespace", Prompt: "1"}, "", false},
		{"not a number", &Pricing{Prompt: "1,5"}, "", false},
		{"nil", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cost, ok := tc.p.Cost(4, 6)
			assert.Equal(t, tc.wantOK, ok)
			if ok {
				assert.Equal(t, tc.want, cost.FloatString(10))
			}
		})
	}
}
