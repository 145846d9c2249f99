package runtime_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNumbersAsLua51WritesThem(t *testing.T) {
	t.Parallel()
	got := runLua(t, `
		print(1, -0.25, 2^53, 2^63, 0.1 + 0.2, 1 / 3, 1e15, 1e100, math.huge, -math.huge)
		print(tostring(2^53), tostring(100), tostring(-1e-10))
		io.write(0.1 + 0.2, " ", 2^53, "\n")
		print(tonumber("1e2"), tonumber(" 0x1F "), tonumber("1e"), tonumber(""), tonumber("1_0"))
		print(tonumber("ff", 16), tonumber("zz", 36), tonumber("8", 8), tonumber(12))
		print(table.concat({0.1 + 0.2, "s", 2^53}, " "), pcall(table.concat, {1, {}}))`)
	assert.Equal(t, "1\t-0.25\t9.007199254741e+15\t9.2233720368548e+18\t0.3\t0.33333333333333\t"+
		"1e+15\t1e+100\tinf\t-inf\n9.007199254741e+15\t100\t-1e-10\n0.3 9.007199254741e+15\n"+
		"100\t31\tnil\tnil\tnil\n255\t1295\tnil\t12\n"+
		"0.3 s 9.007199254741e+15\tfalse\tinvalid value (table) at index 2 in table for 'concat'\n", got)
}
