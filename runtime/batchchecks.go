package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// checkResult is the outcome of one check of a record.
type checkResult struct {
	ok     bool
	detail string
}

// checkSet is the checks of one record, by name.
type checkSet map[string]checkResult

// add records a check; a name recorded again passes only when every recording of it passed,
// and keeps the detail of its first failure (else its first detail).
func (c checkSet) add(name string, ok bool, detail string) {
	prev, seen := c[name]
	switch {
	case !seen:
		c[name] = checkResult{ok, detail}
	case prev.ok && !ok:
		c[name] = checkResult{false, detail}
	case prev.detail == "":
		c[name] = checkResult{prev.ok, detail}
	}
}

// MarshalJSON writes the checks as an object: a check is true or false, or {"ok": …,
// "detail": …} when it has a detail. Names are in sorted order.
func (c checkSet) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(c))
	for name, r := range c {
		if r.detail == "" {
			m[name] = r.ok
		} else {
			m[name] = map[string]any{"ok": r.ok, "detail": r.detail}
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes, and nothing else.
func (c *checkSet) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return errors.New(`"checks" is not an object`)
	}
	*c = make(checkSet, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		var ok bool
		if err := json.Unmarshal(m[name], &ok); err == nil && string(m[name]) != "null" {
			(*c)[name] = checkResult{ok: ok}
			continue
		}
		var r struct {
			OK     *bool   `json:"ok"`
			Detail *string `json:"detail"`
		}
		dec := json.NewDecoder(strings.NewReader(string(m[name])))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil || r.OK == nil {
			return fmt.Errorf(`check %q is neither a boolean nor {"ok": boolean, "detail": string}`, name)
		}
		(*c)[name] = checkResult{ok: *r.OK}
		if r.Detail != nil {
			(*c)[name] = checkResult{*r.OK, *r.Detail}
		}
	}
	return nil
}

// redacted returns the checks with every name and detail as redact returns it.
func (c checkSet) redacted(redact func(string) string) checkSet {
	out := make(checkSet, len(c))
	for name, r := range c {
		out.add(redact(name), r.ok, redact(r.detail))
	}
	return out
}

// addReturned adds the checks a record function returned as its second result: a table of
// name = boolean, or a list of {name = string, ok = boolean, detail = string?}.
func (c checkSet) addReturned(t *lua.LTable) error {
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		switch k.Type() {
		case lua.LTString:
			b, isBool := v.(lua.LBool)
			if !isBool {
				err = fmt.Errorf("check %q is a %s, not a boolean", k.String(), v.Type())
				return
			}
			c.add(k.String(), bool(b), "")
		case lua.LTNumber:
			err = c.addEntry(k, v)
		default:
			err = fmt.Errorf("a %s key: checks are name = boolean or a list of {name = …, ok = …}",
				k.Type())
		}
	})
	return err
}

// addEntry adds the entry at index i of a list of checks.
func (c checkSet) addEntry(i, v lua.LValue) error {
	e, isTable := v.(*lua.LTable)
	if !isTable {
		return fmt.Errorf("check %s is a %s, not {name = …, ok = …}", i, v.Type())
	}
	name, nameOK := e.RawGetString("name").(lua.LString)
	ok, okOK := e.RawGetString("ok").(lua.LBool)
	if !nameOK || name == "" || !okOK {
		return fmt.Errorf("check %s needs a name (a string) and ok (a boolean)", i)
	}
	var detail string
	switch d := e.RawGetString("detail").(type) {
	case lua.LString, lua.LNumber:
		detail = d.String()
	case *lua.LNilType:
	default:
		return fmt.Errorf("check %q: detail is a %s, not a string", string(name), d.Type())
	}
	c.add(string(name), bool(ok), detail)
	return nil
}

// CheckCount is how many records passed and failed one check, in [BatchSummary.Checks].
type CheckCount struct {
	// Name is the check's name.
	Name string `json:"name"`
	// Passed and Failed count the records whose result has the check.
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Failures are the records that failed it, in output order.
	Failures []CheckFailure `json:"failures,omitempty"`
}

// CheckFailure is a record that failed a check.
type CheckFailure struct {
	// Key is the record's key as the output writes it (a string with its quotes, or a number).
	Key json.RawMessage `json:"key"`
	// Detail is the detail the check was recorded with, if any.
	Detail string `json:"detail,omitempty"`
}

// tallyChecks counts the checks of the output, the file at path or, with parts, the parts in
// store: of each key of the shard (keys marked keyInInput), its last result, whichever run
// wrote it (in a part store, the last in part name order).
func tallyChecks(ctx context.Context, path string, parts PartStore,
	keys keyTable) ([]CheckCount, error) {
	t := checkTally{keys: keys, last: make(map[keyID]keyChecks)}
	var err error
	if parts != nil {
		err = t.readParts(ctx, parts)
	} else {
		err = t.readFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return t.counts(), nil
}

// checkTally gathers the checks of the last result of each key of the shard.
type checkTally struct {
	keys keyTable
	last map[keyID]keyChecks
	n    int // the results added so far
}

// keyChecks is the last result of a key: its checks and its position among the results.
type keyChecks struct {
	key    string
	checks checkSet
	n      int
}

// add takes res, the result after those added before.
func (t *checkTally) add(res parsedResult) {
	if id := idOf(res.key); t.keys[id]&keyInInput != 0 {
		t.last[id] = keyChecks{res.key, res.checks, t.n}
	}
	t.n++
}

// readFile adds the results of the output file at path; a missing file has none.
func (t *checkTally) readFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := parseResult(line)
		if err != nil {
			return err
		}
		t.add(res)
	}
}

// readParts adds the results of every part in store, in part name order.
func (t *checkTally) readParts(ctx context.Context, store PartStore) error {
	names, err := store.List(ctx)
	if err != nil {
		return err
	}
	for _, name := range PartNames(names) {
		err := readPart(ctx, store, name, func(res parsedResult, _ []byte) error {
			t.add(res)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// counts returns the counts of the checks, in name order, each check's failures in the order
// of the results.
func (t *checkTally) counts() []CheckCount {
	byPos := slices.SortedFunc(maps.Values(t.last), func(a, b keyChecks) int { return a.n - b.n })
	counts := map[string]*CheckCount{}
	for _, kc := range byPos {
		for name, r := range kc.checks {
			c := counts[name]
			if c == nil {
				c = &CheckCount{Name: name}
				counts[name] = c
			}
			if r.ok {
				c.Passed++
			} else {
				c.Failed++
				c.Failures = append(c.Failures, CheckFailure{json.RawMessage(kc.key), r.detail})
			}
		}
	}
	out := make([]CheckCount, 0, len(counts))
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, *counts[name])
	}
	return out
}
