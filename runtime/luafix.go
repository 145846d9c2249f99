package runtime

import (
	"fmt"

	"github.com/yuin/gopher-lua/ast"
)

// The compiler of gopher-lua v1.1.2 gets two shapes of loop and the multiple assignment
// wrong; rewriteChunk rewrites the parsed chunk into equivalent code that it compiles right,
// before every compilation the host makes (see compile).
//
//   - A generic for registers its three hidden locals before compiling its expression list,
//     so an expression that needs scratch registers, such as the method call in
//     `for x in f().t:m() do`, overwrites its own operands. The rewrite evaluates the list
//     into fresh locals first: `do local g, s, c = explist; for names in g, s, c do … end end`.
//     A local assignment adjusts the list to three values in the same order, as the for does.
//   - The jump-to-jump pass follows a loop's backward jump into a body that starts with a jump
//     (`for ch in it do break end`, `while true do break end`) and reads that already resolved
//     jump as a label, so the loop jumps to a wrong place. The rewrite puts a hidden
//     `local (loop guard)` (one LOADNIL) in front of such a body.
//
//   - A multiple assignment stores some values before it has read all it needs: after
//     `a, b = b, a` both hold the old b, and `t, t.x = nil, 1` indexes the new t. The rewrite
//     evaluates as Lua 5.1 does, into hidden locals first: the tables and keys of the targets,
//     left to right, then the values; it then assigns them one by one, right to left.
//
// The hidden locals have names no script can write, so they never clash with the script's.

// rewriteChunk rewrites the loops and multiple assignments of chunk, at every depth, in place.
func rewriteChunk(chunk []ast.Stmt) {
	fixBlock(chunk)
}

func fixBlock(stmts []ast.Stmt) {
	for i, st := range stmts {
		stmts[i] = fixStmt(st)
	}
}

// fixStmt returns st with its loops rewritten, or its replacement.
func fixStmt(st ast.Stmt) ast.Stmt {
	switch s := st.(type) {
	case *ast.AssignStmt:
		fixExprs(s.Lhs)
		fixExprs(s.Rhs)
		if len(s.Lhs) > 1 {
			return splitAssignment(s)
		}
	case *ast.LocalAssignStmt:
		fixExprs(s.Exprs)
	case *ast.FuncCallStmt:
		fixExpr(s.Expr)
	case *ast.DoBlockStmt:
		fixBlock(s.Stmts)
	case *ast.WhileStmt:
		fixExpr(s.Condition)
		fixBlock(s.Stmts)
		s.Stmts = guardBody(s, s.Stmts)
	case *ast.RepeatStmt:
		fixBlock(s.Stmts)
		fixExpr(s.Condition)
		s.Stmts = guardBody(s, s.Stmts)
	case *ast.IfStmt:
		fixExpr(s.Condition)
		fixBlock(s.Then)
		fixBlock(s.Else)
	case *ast.NumberForStmt:
		fixExpr(s.Init)
		fixExpr(s.Limit)
		fixExpr(s.Step)
		fixBlock(s.Stmts)
	case *ast.GenericForStmt:
		fixExprs(s.Exprs)
		fixBlock(s.Stmts)
		s.Stmts = guardBody(s, s.Stmts)
		return hoistForExprs(s)
	case *ast.FuncDefStmt:
		fixExpr(s.Name.Func)
		fixExpr(s.Name.Receiver)
		fixExpr(s.Func)
	case *ast.ReturnStmt:
		fixExprs(s.Exprs)
	}
	return st
}

func fixExprs(exprs []ast.Expr) {
	for _, e := range exprs {
		fixExpr(e)
	}
}

// fixExpr rewrites the bodies of the functions defined inside e.
func fixExpr(e ast.Expr) {
	switch x := e.(type) {
	case *ast.FunctionExpr:
		fixBlock(x.Stmts)
	case *ast.AttrGetExpr:
		fixExpr(x.Object)
		fixExpr(x.Key)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			fixExpr(f.Key)
			fixExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		fixExpr(x.Func)
		fixExpr(x.Receiver)
		fixExprs(x.Args)
	case *ast.LogicalOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.RelationalOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.StringConcatOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.UnaryMinusOpExpr:
		fixExpr(x.Expr)
	case *ast.UnaryNotOpExpr:
		fixExpr(x.Expr)
	case *ast.UnaryLenOpExpr:
		fixExpr(x.Expr)
	}
}

// forStateNames name the hidden locals that hold a generic for's evaluated expression list;
// they differ from the names the compiler gives its own hidden locals of the loop, which are
// in scope when the list is compiled.
var forStateNames = []string{"(for list 1)", "(for list 2)", "(for list 3)"}

// hoistForExprs returns `do local g, s, c = explist; for names in g, s, c do … end end` for a
// generic for whose expression list is not already plain names or constants, else s itself.
func hoistForExprs(s *ast.GenericForStmt) ast.Stmt {
	if allPlain(s.Exprs) {
		return s
	}
	local := localAssign(forStateNames, s.Exprs, s)
	local.SetLastLine(s.Line())
	s.Exprs = make([]ast.Expr, len(forStateNames))
	for i, name := range forStateNames {
		s.Exprs[i] = ident(name, s)
	}
	block := &ast.DoBlockStmt{Stmts: []ast.Stmt{local, s}}
	positionAs(block, s)
	return block
}

// splitAssignment returns `do local o1, k1, … = t1, key1, …; local v1, … = explist;
// targetN = vN; …; target1 = v1 end` for the multiple assignment s, where target i is the
// name of s or o_i[k_i].
func splitAssignment(s *ast.AssignStmt) ast.Stmt {
	var refs []ast.Expr   // tables and keys of the indexed targets
	var refNames []string // their hidden locals
	targets := make([]ast.Expr, len(s.Lhs))
	for i, lhs := range s.Lhs {
		get, ok := lhs.(*ast.AttrGetExpr)
		if !ok {
			targets[i] = lhs
			continue
		}
		o, k := hidden("(assign table %d)", i), hidden("(assign key %d)", i)
		refs = append(refs, get.Object, get.Key)
		refNames = append(refNames, o, k)
		target := &ast.AttrGetExpr{Object: ident(o, s), Key: ident(k, s)}
		positionAs(target, lhs)
		targets[i] = target
	}
	var stmts []ast.Stmt
	if len(refs) > 0 {
		stmts = append(stmts, localAssign(refNames, refs, s))
	}
	valueNames := make([]string, len(s.Lhs))
	for i := range valueNames {
		valueNames[i] = hidden("(assign value %d)", i)
	}
	stmts = append(stmts, localAssign(valueNames, s.Rhs, s))
	for i := len(targets) - 1; i >= 0; i-- {
		assign := &ast.AssignStmt{Lhs: []ast.Expr{targets[i]}, Rhs: []ast.Expr{ident(valueNames[i], s)}}
		positionAs(assign, s)
		stmts = append(stmts, assign)
	}
	block := &ast.DoBlockStmt{Stmts: stmts}
	positionAs(block, s)
	return block
}

// hidden returns the name of a hidden local: format with the target's index.
func hidden(format string, i int) string {
	return fmt.Sprintf(format, i+1)
}

// ident returns a reference to the local name, placed at model's line.
func ident(name string, model ast.PositionHolder) *ast.IdentExpr {
	id := &ast.IdentExpr{Value: name}
	positionAs(id, model)
	return id
}

// localAssign returns `local names = exprs`, placed at model's line.
func localAssign(names []string, exprs []ast.Expr, model ast.PositionHolder) *ast.LocalAssignStmt {
	local := &ast.LocalAssignStmt{Names: names, Exprs: exprs}
	positionAs(local, model)
	return local
}

// allPlain reports whether every expression is a name or a constant, which the generic for
// compiles right.
func allPlain(exprs []ast.Expr) bool {
	for _, e := range exprs {
		switch e.(type) {
		case *ast.IdentExpr, *ast.NilExpr, *ast.TrueExpr, *ast.FalseExpr, *ast.NumberExpr,
			*ast.StringExpr:
		default:
			return false
		}
	}
	return true
}

// guardBody returns body behind a hidden `local (loop guard)` when its first instruction may
// be a jump, else body itself.
func guardBody(loop ast.Stmt, body []ast.Stmt) []ast.Stmt {
	if !startsWithJump(body) {
		return body
	}
	guard := &ast.LocalAssignStmt{Names: []string{"(loop guard)"}}
	positionAs(guard, loop)
	return append([]ast.Stmt{guard}, body...)
}

// startsWithJump reports whether the first instruction compiled for stmts may be a jump. It
// errs on the side of yes: a wrong yes costs one LOADNIL, a wrong no a misplaced jump.
func startsWithJump(stmts []ast.Stmt) bool {
	for _, st := range stmts {
		switch s := st.(type) {
		case *ast.LabelStmt: // compiles to nothing
			continue
		case *ast.DoBlockStmt:
			if len(s.Stmts) == 0 {
				continue
			}
			return startsWithJump(s.Stmts)
		case *ast.BreakStmt, *ast.GotoStmt:
			return true
		case *ast.IfStmt:
			return constantCondition(s.Condition)
		case *ast.WhileStmt:
			return constantCondition(s.Condition)
		case *ast.RepeatStmt:
			return startsWithJump(s.Stmts)
		}
		return false
	}
	return false
}

// constantCondition reports whether a branch on e may compile to a bare jump or to nothing
// (so that what follows comes first): constants, and not, and, or over anything.
func constantCondition(e ast.Expr) bool {
	switch e.(type) {
	case *ast.NilExpr, *ast.FalseExpr, *ast.TrueExpr, *ast.NumberExpr, *ast.StringExpr,
		*ast.UnaryNotOpExpr, *ast.LogicalOpExpr:
		return true
	}
	return false
}

// positionAs gives n the lines of model, so that errors in rewritten code name the source line.
func positionAs(n, model ast.PositionHolder) {
	n.SetLine(model.Line())
	n.SetLastLine(model.LastLine())
}
