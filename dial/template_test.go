package dial

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stringer struct{}

func (stringer) String() string { return "from String" }

func TestTemplate(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"text": "the report", "n": 50.0, "ratio": 0.25, "big": 1e21, "int": 7, "neg": int64(-3),
		"yes": true, "none": nil, "list": []any{"a", 1.0}, "obj": map[string]any{"k": "<v>"},
		"raw": json.RawMessage(`"raw text"`), "rawobj": json.RawMessage(`{"a":1}`),
		"num": json.Number("1.50"), "str": stringer{}, "empty": "",
	}
	tests := []struct{ name, in, want string }{
		{"plain", "no placeholders", "no placeholders"},
		{"basic", "Summarize {{text}} in {{n}} words.", "Summarize the report in 50 words."},
		{"whitespace", "{{ text }}|{{\ttext\n}}", "the report|the report"},
		{"numbers", "{{ratio}} {{big}} {{int}} {{neg}} {{num}}", "0.25 1e+21 7 -3 1.50"},
		{"others", "{{yes}} {{none}} {{list}} {{obj}}", `true null ["a",1] {"k":"<v>"}`},
		{"raw", "{{raw}} {{rawobj}}", `raw text {"a":1}`},
		{"stringer", "{{str}}", "from String"},
		{"empty value", "[{{empty}}]", "[]"},
		{"repeated", "{{n}}{{n}}", "5050"},
		{"default unused", "{{text|fallback}}", "the report"},
		{"default used", "{{missing| some default }}!", "some default!"},
		{"empty default", "[{{missing|}}]", "[]"},
		{"escape", `\{{text}} and {{text}}`, "{{text}} and the report"},
		{"escaped backslash", `\\{{text}}`, `\the report`},
		{"three backslashes", `\\\{{text}}`, `\{{text}}`},
		{"backslash elsewhere", `a\b {{n}}\`, `a\b 50\`},
		{"single braces", "{text} }} {", "{text} }} {"},
		{"unicode", "Привет, {{ имя }}!", "Привет, мир!"},
	}
	vars["имя"] = "мир"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Template(tc.in, vars)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Every missing name is reported at once, in order of first use.
func TestTemplateMissing(t *testing.T) {
	t.Parallel()
	_, err := Template("{{a}} {{ b }} {{a}} {{c|x}} {{d}}", map[string]any{"c": 1})
	var te *TemplateError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, []string{"a", "b", "d"}, te.Missing)
	assert.EqualError(t, err, `dial: template: no value for "a", "b", "d"`)

	_, err = Template("{{text}}", nil)
	assert.EqualError(t, err, `dial: template: no value for "text"`)
}

func TestTemplateSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"unclosed", "ok {{name", `dial: template: byte 3: "{{" without "}}"`},
		{"empty", "{{ }}", "dial: template: byte 0: empty placeholder name"},
		{"empty before default", "{{|x}}", "dial: template: byte 0: empty placeholder name"},
		{"brace in name", "{{{name}}}", `dial: template: byte 0: invalid placeholder name "{name"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Template(tc.in, map[string]any{"name": "x"})
			var te *TemplateError
			require.ErrorAs(t, err, &te)
			assert.Empty(t, te.Missing)
			assert.EqualError(t, err, tc.want)
			_, err = TemplateVars(tc.in)
			assert.EqualError(t, err, tc.want)
		})
	}
	_, err := Template("{{f}}", map[string]any{"f": func() {}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `dial: template: value of "f"`)
	assert.False(t, errors.As(err, new(*TemplateError)))
}

func TestTemplateVars(t *testing.T) {
	t.Parallel()
	names, err := TemplateVars(`Summarize {{ text }} in {{n|50}} words; {{text}} again, \{{not}}.`)
	require.NoError(t, err)
	assert.Equal(t, []string{"text", "n"}, names)
	names, err = TemplateVars("nothing")
	require.NoError(t, err)
	assert.Empty(t, names)
}
