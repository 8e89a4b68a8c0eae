//! Typed formulas: `f(x, y)` or `f(x)` parsed once into a flat list of instructions for a
//! stack machine, evaluated generically over the number type, so plain `f64` gives values
//! fast and dual numbers give exact gradients and Hessians (automatic differentiation).
//!
//! Grammar: numbers (`1`, `2.5`, `1e-3`, `.5`), `x` and `y`, `+ - * /`, power as `^` or `**`
//! (right-associative, tighter than unary minus: `-x^2 = -(x^2)`), parentheses, the functions
//! sin cos tan asin acos atan atan2 sinh cosh tanh exp ln log (natural) log10 log2 sqrt cbrt
//! abs min max, and the constants pi and e. The prefixes `np.`, `numpy.`, `math.`, `sp.` and `torch.` of a formula
//! pasted from Python are accepted.

use std::fmt;

use num_dual::Dual64;

use super::ad::{
    Scalar, Surface, curve_second_order, curve_value_and_slope, surface_second_order,
    surface_value_and_gradient,
};
use super::objective::{Interval, Objective, ObjectiveInfo, SecondOrder};

/// The deepest nesting of parentheses, calls and operators a formula may have.
pub const MAX_DEPTH: usize = 200;

/// Formulas needing at most this many stack slots evaluate without allocating.
const SMALL_STACK: usize = 16;

/// The longest formula accepted, in characters.
pub const MAX_LENGTH: usize = 10_000;

/// A formula that could not be read: what is wrong, and where (a character index into the
/// formula, at most its length).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message} (at character {})", position + 1)]
pub struct ExprError {
    /// The character where the problem is.
    pub position: usize,
    /// What is wrong, and what to do about it.
    pub message: String,
}

impl ExprError {
    fn at(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }

    /// The formula with a caret under the position, for a terminal or a monospace label.
    pub fn marked(&self, formula: &str) -> String {
        let caret: String = formula
            .chars()
            .take(self.position)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{formula}\n{caret}^ {}", self.message)
    }
}

/// A function of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func1 {
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Exp,
    Ln,
    Log10,
    Log2,
    Sqrt,
    Cbrt,
    Abs,
}

/// A function of two arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func2 {
    Atan2,
    Min,
    Max,
}

const FUNCS1: [(&str, Func1); 17] = [
    ("sin", Func1::Sin),
    ("cos", Func1::Cos),
    ("tan", Func1::Tan),
    ("asin", Func1::Asin),
    ("acos", Func1::Acos),
    ("atan", Func1::Atan),
    ("sinh", Func1::Sinh),
    ("cosh", Func1::Cosh),
    ("tanh", Func1::Tanh),
    ("exp", Func1::Exp),
    ("ln", Func1::Ln),
    ("log", Func1::Ln),
    ("log10", Func1::Log10),
    ("log2", Func1::Log2),
    ("sqrt", Func1::Sqrt),
    ("cbrt", Func1::Cbrt),
    ("abs", Func1::Abs),
];

const FUNCS2: [(&str, Func2); 3] = [
    ("atan2", Func2::Atan2),
    ("min", Func2::Min),
    ("max", Func2::Max),
];

/// Arithmetic with a constant: `v + c`, `v - c`, `c - v`, `v * c`, `v / c`, `c / v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    SubFrom,
    Mul,
    Div,
    DivInto,
}

impl Arith {
    #[inline]
    fn apply<D: Scalar>(self, v: D, c: f64) -> D {
        match self {
            Self::Add => v + c,
            Self::Sub => v - c,
            Self::SubFrom => D::from(c) - v,
            Self::Mul => v * c,
            Self::Div => v / c,
            Self::DivInto => D::from(c) / v,
        }
    }
}

/// One instruction of the stack machine.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Const(f64),
    X,
    Y,
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    /// An arithmetic operation with one constant operand, the other on the stack.
    WithConst(Arith, f64),
    /// x^n for a whole constant n: exact and fast.
    PowI(i32),
    /// x^c for any other constant c.
    PowF(f64),
    /// a^b with b not constant.
    Pow,
    Call1(Func1),
    Call2(Func2),
}

/// A parsed formula: its text and its instructions.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    text: String,
    ops: Vec<Op>,
    uses_y: bool,
    stack_size: usize,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Expr {
    /// Parses `text`; every error has a position inside it.
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() > MAX_LENGTH {
            return Err(ExprError::at(
                MAX_LENGTH,
                format!("the formula is longer than {MAX_LENGTH} characters"),
            ));
        }
        let tokens = tokenize(&chars)?;
        let mut parser = Parser {
            tokens: &tokens,
            next: 0,
            ops: Vec::new(),
            depth: 0,
            uses_y: false,
            end: chars.len(),
        };
        if tokens.is_empty() {
            return Err(ExprError::at(
                0,
                "the formula is empty: type f(x, y), e.g. x^2 + y^2",
            ));
        }
        parser.expression()?;
        if let Some(token) = tokens.get(parser.next) {
            return Err(match token.kind {
                Kind::Close => ExprError::at(token.start, "this ')' has no '(' to close"),
                _ => ExprError::at(token.start, format!("unexpected '{}'", token.text)),
            });
        }
        let stack_size = stack_size(&parser.ops);
        let expr = Self {
            text: text.trim().to_string(),
            uses_y: parser.uses_y,
            ops: parser.ops,
            stack_size,
        };
        // A formula without x or y has one value: if it is not finite, no start can work.
        if !expr.ops.iter().any(|op| matches!(op, Op::X | Op::Y)) {
            let value: f64 = expr.eval(0.0, 0.0);
            if !value.is_finite() {
                return Err(ExprError::at(
                    0,
                    format!(
                        "the formula is the constant {value}, not finite anywhere: use x (and y)"
                    ),
                ));
            }
        }
        Ok(expr)
    }

    /// The formula as typed (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 2 if the formula uses y, else 1 (a curve f(x)).
    pub fn dim(&self) -> usize {
        if self.uses_y { 2 } else { 1 }
    }

    /// f(x, y), using `stack` (at least [`Self::stack_size`] long) as scratch space.
    pub fn eval_in<D: Scalar>(&self, x: D, y: D, stack: &mut [D]) -> D {
        if stack.len() < self.stack_size {
            return D::from(f64::NAN);
        }
        // `top` is the number of values on the stack; the parser only emits instruction
        // lists that balance, so every pop finds its value.
        let mut top = 0usize;
        for op in &self.ops {
            match *op {
                Op::Const(c) => {
                    stack[top] = D::from(c);
                    top += 1;
                }
                Op::X => {
                    stack[top] = x;
                    top += 1;
                }
                Op::Y => {
                    stack[top] = y;
                    top += 1;
                }
                Op::Neg => stack[top - 1] = -stack[top - 1],
                Op::WithConst(arith, c) => stack[top - 1] = arith.apply(stack[top - 1], c),
                Op::PowI(2) => stack[top - 1] = stack[top - 1] * stack[top - 1],
                Op::PowI(n) => stack[top - 1] = stack[top - 1].powi(n),
                Op::PowF(c) => stack[top - 1] = power(stack[top - 1], c),
                Op::Call1(f) => stack[top - 1] = call1(f, stack[top - 1]),
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow | Op::Call2(_) => {
                    top -= 1;
                    let (a, b) = (stack[top - 1], stack[top]);
                    stack[top - 1] = match *op {
                        Op::Add => a + b,
                        Op::Sub => a - b,
                        Op::Mul => a * b,
                        Op::Div => a / b,
                        Op::Pow => a.powd(b),
                        Op::Call2(f) => call2(f, a, b),
                        _ => unreachable!("only binary operations reach here"),
                    };
                }
            }
        }
        if top == 1 {
            stack[0]
        } else {
            D::from(f64::NAN)
        }
    }

    /// f at (x, y) for every x in `xs`, written to `out`: each instruction runs over the
    /// whole row at once, so its dispatch is paid once per row, not once per point, and
    /// the points of a row go through the processor side by side. `rows` is scratch space
    /// kept between calls. With dual numbers seeded along x or y this gives a row of
    /// derivatives as cheaply.
    pub fn eval_row<D: Scalar>(&self, xs: &[D], y: D, out: &mut [D], rows: &mut Vec<Vec<D>>) {
        let n = xs.len().min(out.len());
        let zero = D::from(0.0);
        let mut depth = 0usize;
        for op in &self.ops {
            match *op {
                Op::Const(_) | Op::X | Op::Y => {
                    if rows.len() <= depth {
                        rows.push(vec![zero; n]);
                    }
                    let row = &mut rows[depth];
                    row.resize(n, zero);
                    match *op {
                        Op::Const(c) => row.fill(D::from(c)),
                        Op::X => row.copy_from_slice(&xs[..n]),
                        _ => row.fill(y),
                    }
                    depth += 1;
                }
                Op::Neg => map_row(&mut rows[depth - 1][..n], |v| -v),
                Op::WithConst(arith, c) => {
                    let row = &mut rows[depth - 1][..n];
                    // One loop per kind, so each is a plain (vectorizable) loop.
                    match arith {
                        Arith::Add => map_row(row, |v| Arith::Add.apply(v, c)),
                        Arith::Sub => map_row(row, |v| Arith::Sub.apply(v, c)),
                        Arith::SubFrom => map_row(row, |v| Arith::SubFrom.apply(v, c)),
                        Arith::Mul => map_row(row, |v| Arith::Mul.apply(v, c)),
                        Arith::Div => map_row(row, |v| Arith::Div.apply(v, c)),
                        Arith::DivInto => map_row(row, |v| Arith::DivInto.apply(v, c)),
                    }
                }
                Op::PowI(2) => map_row(&mut rows[depth - 1][..n], |v| v * v),
                Op::PowI(k) => map_row(&mut rows[depth - 1][..n], |v| v.powi(k)),
                Op::PowF(c) => map_row(&mut rows[depth - 1][..n], |v| power(v, c)),
                Op::Call1(f) => map_row(&mut rows[depth - 1][..n], |v| call1(f, v)),
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow | Op::Call2(_) => {
                    let (left, right) = rows.split_at_mut(depth - 1);
                    let (a, b) = (&mut left[depth - 2][..n], &right[0][..n]);
                    match *op {
                        Op::Add => a.iter_mut().zip(b).for_each(|(a, b)| *a += *b),
                        Op::Sub => a.iter_mut().zip(b).for_each(|(a, b)| *a -= *b),
                        Op::Mul => a.iter_mut().zip(b).for_each(|(a, b)| *a *= *b),
                        Op::Div => a.iter_mut().zip(b).for_each(|(a, b)| *a /= *b),
                        Op::Pow => a.iter_mut().zip(b).for_each(|(a, b)| *a = a.powd(*b)),
                        Op::Call2(f) => {
                            a.iter_mut().zip(b).for_each(|(a, b)| *a = call2(f, *a, *b))
                        }
                        _ => unreachable!("only binary operations reach here"),
                    }
                    depth -= 1;
                }
            }
        }
        match rows.first() {
            Some(row) if depth == 1 => out[..n].copy_from_slice(&row[..n]),
            _ => out[..n].fill(D::from(f64::NAN)),
        }
    }

    /// f(x, y), with scratch space on the machine stack for all but the longest formulas.
    pub fn eval<D: Scalar>(&self, x: D, y: D) -> D {
        if self.stack_size <= SMALL_STACK {
            let mut stack = [D::from(0.0); SMALL_STACK];
            self.eval_in(x, y, &mut stack)
        } else {
            let mut stack = vec![D::from(0.0); self.stack_size];
            self.eval_in(x, y, &mut stack)
        }
    }

    /// The stack depth evaluation needs.
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }
}

/// Applies `f` to every value of `row` in place.
#[inline(always)]
fn map_row<D: Copy>(row: &mut [D], f: impl Fn(D) -> D) {
    for v in row {
        *v = f(*v);
    }
}

fn call1<D: Scalar>(f: Func1, a: D) -> D {
    match f {
        Func1::Sin => a.sin(),
        Func1::Cos => a.cos(),
        Func1::Tan => a.tan(),
        Func1::Asin => a.asin(),
        Func1::Acos => a.acos(),
        Func1::Atan => a.atan(),
        Func1::Sinh => a.sinh(),
        Func1::Cosh => a.cosh(),
        Func1::Tanh => a.tanh(),
        Func1::Exp => a.exp(),
        Func1::Ln => a.ln(),
        Func1::Log10 => a.log10(),
        Func1::Log2 => a.log2(),
        Func1::Sqrt => a.sqrt(),
        Func1::Cbrt => a.cbrt(),
        Func1::Abs => a.abs(),
    }
}

fn call2<D: Scalar>(f: Func2, a: D, b: D) -> D {
    match f {
        Func2::Atan2 => a.atan2(b),
        // The branch taken carries its own derivative; at a tie, the first argument's.
        Func2::Min => {
            if b.re() < a.re() {
                b
            } else {
                a
            }
        }
        Func2::Max => {
            if b.re() > a.re() {
                b
            } else {
                a
            }
        }
    }
}

/// x^c for a constant c that is not whole. At x = 0 with c > 1, f and its gradient are 0,
/// but num-dual computes x^c as x^(c-3) x^3, which is inf * 0 there: it is given as 0 with
/// derivatives 0 ((x^2 + y^2)^1.5 is r^3, flat at 0; for 1 < c < 2 the second derivative
/// of x^c itself is infinite there and is given as 0 too).
///
/// num-dual's x^(c-3) x^3 also rounds differently from f64's own power: the value is
/// made f64's, so a heatmap (plain numbers) and a run (dual numbers) agree to the bit.
/// (With a and b a few units apart, a - b is exact and b + (a - b) is a.)
fn power<D: Scalar>(x: D, c: f64) -> D {
    if c > 1.0 && x.re() == 0.0 {
        return D::from(0.0);
    }
    let dual = x.powf(c);
    let plain = x.re().powf(c);
    if plain.is_finite() && dual.re().is_finite() && plain != dual.re() {
        dual + D::from(plain - dual.re())
    } else {
        dual
    }
}

/// The most values on the stack while `ops` run.
fn stack_size(ops: &[Op]) -> usize {
    let (mut depth, mut most) = (0usize, 0usize);
    for op in ops {
        match op {
            Op::Const(_) | Op::X | Op::Y => depth += 1,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow | Op::Call2(_) => {
                depth = depth.saturating_sub(1)
            }
            Op::Neg | Op::WithConst(..) | Op::PowI(_) | Op::PowF(_) | Op::Call1(_) => {}
        }
        most = most.max(depth);
    }
    most
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Number(f64),
    Name,
    Plus,
    Minus,
    Star,
    Slash,
    Power,
    Open,
    Close,
    Comma,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    text: String,
}

fn tokenize(chars: &[char]) -> Result<Vec<Token>, ExprError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let simple = match c {
            '+' => Some(Kind::Plus),
            '-' => Some(Kind::Minus),
            '/' => Some(Kind::Slash),
            '^' => Some(Kind::Power),
            '(' => Some(Kind::Open),
            ')' => Some(Kind::Close),
            ',' => Some(Kind::Comma),
            '*' => {
                if chars.get(i + 1) == Some(&'*') {
                    i += 1;
                    Some(Kind::Power)
                } else {
                    Some(Kind::Star)
                }
            }
            _ => None,
        };
        if let Some(kind) = simple {
            i += 1;
            tokens.push(Token {
                kind,
                start,
                text: chars[start..i].iter().collect(),
            });
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent: e or E, an optional sign, digits.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text
                .parse()
                .map_err(|_| ExprError::at(start, format!("'{text}' is not a number")))?;
            // 1e-400 rounds to 0: refuse it rather than silently read 0.
            if super::format::underflows(&text, value) {
                return Err(ExprError::at(
                    start,
                    format!("'{text}' {}", super::format::UNDERFLOW),
                ));
            }
            if value.is_infinite() {
                return Err(ExprError::at(
                    start,
                    format!("'{text}' is beyond the largest number, about 1.8e308"),
                ));
            }
            tokens.push(Token {
                kind: Kind::Number(value),
                start,
                text,
            });
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let mut text: String = chars[start..i].iter().collect();
            // Positions count characters, and a stripped prefix still counts.
            let mut skipped = 0;
            for prefix in ["np.", "numpy.", "math.", "sp.", "torch."] {
                if let Some(rest) = text.strip_prefix(prefix) {
                    text = rest.to_string();
                    skipped = prefix.len();
                    break;
                }
            }
            if let Some(dot) = text.chars().position(|c| c == '.') {
                return Err(ExprError::at(
                    start + skipped + dot,
                    format!("unexpected '.' in '{text}'"),
                ));
            }
            tokens.push(Token {
                kind: Kind::Name,
                start,
                text,
            });
            continue;
        }
        // What a formula copied from Python, a maths text or LaTeX most likely meant.
        let hint = match c {
            '|' => ": write abs(x) for |x|",
            '=' => ": write only the right-hand side, e.g. x^2 + y^2 for f(x, y) = x^2 + y^2",
            '\\' => ": LaTeX is not read; write 1/x, sqrt(x), x^2",
            ';' => ": remove the ';'",
            '[' | ']' | '{' | '}' => ": group with ( and )",
            '−' | '–' | '—' => ": write the minus sign as -",
            '×' | '·' | '⋅' | '∗' => ": write a product with *",
            '÷' => ": write a division with /",
            '√' => ": write sqrt(x)",
            _ => "",
        };
        // An invisible character (a zero-width space pasted with the formula, a no-break
        // space) is named by its code, which can be seen.
        if c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}') {
            return Err(ExprError::at(
                start,
                format!(
                    "unexpected invisible character U+{:04X}: delete it (it may have come with pasted text)",
                    u32::from(c)
                ),
            ));
        }
        return Err(ExprError::at(start, format!("unexpected '{c}'{hint}")));
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [Token],
    next: usize,
    ops: Vec<Op>,
    depth: usize,
    uses_y: bool,
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.start)
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::at(
                self.position().min(self.end),
                format!("the formula nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// sum := product (('+' | '-') product)*
    fn expression(&mut self) -> Result<(), ExprError> {
        self.enter()?;
        let mut left = self.ops.len();
        self.product()?;
        while let Some(kind) = self.peek().map(|t| t.kind) {
            let op = match kind {
                Kind::Plus => Op::Add,
                Kind::Minus => Op::Sub,
                _ => break,
            };
            self.next += 1;
            let right = self.ops.len();
            self.product()?;
            self.binary(op, left, right);
            left = self.ops.len() - self.last_len();
        }
        self.depth -= 1;
        Ok(())
    }

    /// The number of instructions of the value just completed (ending the list).
    fn last_len(&self) -> usize {
        // Walk back until one value is on the stack more than before.
        let mut need = 1isize;
        let mut count = 0;
        for op in self.ops.iter().rev() {
            count += 1;
            need += match op {
                Op::Const(_) | Op::X | Op::Y => -1,
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow | Op::Call2(_) => 1,
                _ => 0,
            };
            if need == 0 {
                break;
            }
        }
        count
    }

    /// Emits a binary operation whose operands start at `left` and `right`, folding a
    /// constant operand into the instruction.
    fn binary(&mut self, op: Op, left: usize, right: usize) {
        if let [Op::Const(c)] = self.ops[right..] {
            let arith = match op {
                Op::Add => Some(Arith::Add),
                Op::Sub => Some(Arith::Sub),
                Op::Mul => Some(Arith::Mul),
                Op::Div => Some(Arith::Div),
                _ => None,
            };
            if let Some(arith) = arith {
                self.ops.truncate(right);
                self.ops.push(Op::WithConst(arith, c));
                return;
            }
        }
        if right == left + 1
            && let Op::Const(c) = self.ops[left]
        {
            let arith = match op {
                Op::Add => Some(Arith::Add),
                Op::Sub => Some(Arith::SubFrom),
                Op::Mul => Some(Arith::Mul),
                Op::Div => Some(Arith::DivInto),
                _ => None,
            };
            if let Some(arith) = arith {
                self.ops.remove(left);
                self.ops.push(Op::WithConst(arith, c));
                return;
            }
        }
        self.ops.push(op);
    }

    /// product := unary (('*' | '/') unary)*; a value right after a value is an error.
    fn product(&mut self) -> Result<(), ExprError> {
        let mut left = self.ops.len();
        self.unary()?;
        loop {
            let Some(token) = self.peek() else {
                return Ok(());
            };
            let op = match token.kind {
                Kind::Star => Op::Mul,
                Kind::Slash => Op::Div,
                Kind::Name if token.text.starts_with('_') => {
                    return Err(ExprError::at(
                        token.start,
                        "a formula's numbers have no underscores: write 1000, not 1_000",
                    ));
                }
                Kind::Number(_) | Kind::Name | Kind::Open => {
                    let previous = &self.tokens[self.next - 1];
                    // `1e+` or `2e-5x`: an exponent begun, not the number e.
                    let after = self.tokens.get(self.next + 1).map(|t| &t.kind);
                    if matches!(previous.kind, Kind::Number(_))
                        && token.text.eq_ignore_ascii_case("e")
                        && matches!(after, Some(Kind::Plus | Kind::Minus))
                        && !matches!(
                            self.tokens.get(self.next + 2).map(|t| &t.kind),
                            Some(Kind::Number(_))
                        )
                    {
                        return Err(ExprError::at(
                            token.start,
                            format!(
                                "an exponent needs its digits: write {}e+5 (or {}*e for Euler's number)",
                                previous.text, previous.text
                            ),
                        ));
                    }
                    return Err(ExprError::at(
                        token.start,
                        format!(
                            "a '*' is missing: write {}*{}",
                            spelled_out(&previous.text),
                            spelled_out(&token.text)
                        ),
                    ));
                }
                _ => return Ok(()),
            };
            self.next += 1;
            let right = self.ops.len();
            self.unary()?;
            self.binary(op, left, right);
            left = self.ops.len() - self.last_len();
        }
    }

    /// unary := ('-' | '+') unary | power
    fn unary(&mut self) -> Result<(), ExprError> {
        match self.peek().map(|t| t.kind) {
            Some(Kind::Minus) => {
                self.enter()?;
                self.next += 1;
                let start = self.ops.len();
                self.unary()?;
                if let [Op::Const(c)] = self.ops[start..] {
                    self.ops[start] = Op::Const(-c);
                } else {
                    self.ops.push(Op::Neg);
                }
                self.depth -= 1;
                Ok(())
            }
            Some(Kind::Plus) => {
                self.enter()?;
                self.next += 1;
                self.unary()?;
                self.depth -= 1;
                Ok(())
            }
            _ => self.power(),
        }
    }

    /// power := atom (('^' | '**') unary)?, right-associative through `unary`.
    fn power(&mut self) -> Result<(), ExprError> {
        self.atom()?;
        if self.peek().map(|t| t.kind) == Some(Kind::Power) {
            self.enter()?;
            self.next += 1;
            let start = self.ops.len();
            self.unary()?;
            // An exponent without x or y is a constant, however written (x^(4/2), x^(1+1)):
            // a whole one is a whole power, defined for x < 0 too.
            let exponent = &self.ops[start..];
            let constant = match exponent {
                [Op::Const(c)] => Some(*c),
                _ if !exponent.iter().any(|op| matches!(op, Op::X | Op::Y)) => {
                    let folded = Expr {
                        text: String::new(),
                        ops: exponent.to_vec(),
                        uses_y: false,
                        stack_size: stack_size(exponent),
                    };
                    let mut stack = vec![0.0_f64; folded.stack_size];
                    Some(folded.eval_in(0.0_f64, 0.0, &mut stack)).filter(|c: &f64| c.is_finite())
                }
                _ => None,
            };
            let op = match constant {
                Some(c) if c.fract() == 0.0 && c.abs() <= 1024.0 => Op::PowI(c as i32),
                Some(c) => Op::PowF(c),
                None => Op::Pow,
            };
            if op != Op::Pow {
                self.ops.truncate(start);
            }
            self.ops.push(op);
            self.depth -= 1;
        }
        Ok(())
    }

    /// atom := number | name | name '(' arguments ')' | '(' sum ')'
    fn atom(&mut self) -> Result<(), ExprError> {
        let Some(token) = self.peek().cloned() else {
            return Err(ExprError::at(
                self.end,
                "the formula ends where a number, x, y or '(' should come",
            ));
        };
        self.next += 1;
        match token.kind {
            Kind::Number(value) => self.ops.push(Op::Const(value)),
            Kind::Open => {
                self.expression()?;
                match self.peek().map(|t| t.kind) {
                    Some(Kind::Close) => self.next += 1,
                    _ => {
                        return Err(ExprError::at(
                            token.start,
                            "this '(' is never closed: a ')' is missing",
                        ));
                    }
                }
            }
            Kind::Name => self.name(&token)?,
            Kind::Close => {
                return Err(ExprError::at(
                    token.start,
                    "unexpected ')': a number, x, y or '(' should come here",
                ));
            }
            _ => {
                return Err(ExprError::at(
                    token.start,
                    format!(
                        "unexpected '{}': a number, x, y or '(' should come here",
                        token.text
                    ),
                ));
            }
        }
        Ok(())
    }

    fn name(&mut self, token: &Token) -> Result<(), ExprError> {
        let name = token.text.as_str();
        let called = self.peek().map(|t| t.kind) == Some(Kind::Open);
        match name {
            "x" if !called => self.ops.push(Op::X),
            "y" if !called => {
                self.uses_y = true;
                self.ops.push(Op::Y);
            }
            "pi" if !called => self.ops.push(Op::Const(std::f64::consts::PI)),
            "e" if !called => self.ops.push(Op::Const(std::f64::consts::E)),
            _ => {
                let one = FUNCS1.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
                let two = FUNCS2.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
                if one.is_none() && two.is_none() {
                    return Err(unknown_name(token));
                }
                if !called {
                    return Err(ExprError::at(
                        token.start,
                        format!("{name} is a function: write {name}(...)"),
                    ));
                }
                // A call nests one level, as a parenthesis does: its arguments count it.
                let open = self.next;
                self.next += 1;
                let arguments = self.arguments(open)?;
                let wanted = if one.is_some() { 1 } else { 2 };
                if arguments != wanted {
                    return Err(ExprError::at(
                        token.start,
                        format!(
                            "{name} takes {wanted} argument{}, got {arguments}",
                            if wanted == 1 { "" } else { "s" }
                        ),
                    ));
                }
                self.ops.push(match (one, two) {
                    (Some(f), _) => Op::Call1(f),
                    (None, Some(f)) => Op::Call2(f),
                    (None, None) => unreachable!("checked above"),
                });
            }
        }
        Ok(())
    }

    /// sum (',' sum)* ')', after the '(' at token `open`; returns the number of arguments.
    fn arguments(&mut self, open: usize) -> Result<usize, ExprError> {
        let mut count = 0;
        loop {
            self.expression()?;
            count += 1;
            match self.peek().map(|t| t.kind) {
                Some(Kind::Comma) => self.next += 1,
                Some(Kind::Close) => {
                    self.next += 1;
                    return Ok(count);
                }
                _ => {
                    return Err(ExprError::at(
                        self.tokens[open].start,
                        "this '(' is never closed: a ')' is missing",
                    ));
                }
            }
        }
    }
}

/// The error for a name that is neither a variable, a constant nor a function, with the
/// nearest known name when one is close.
fn unknown_name(token: &Token) -> ExprError {
    let name = token.text.as_str();
    let known = ["x", "y", "pi", "e"]
        .into_iter()
        .chain(FUNCS1.iter().map(|(n, _)| *n))
        .chain(FUNCS2.iter().map(|(n, _)| *n));
    let lowercase = name.to_lowercase();
    let in_capitals = known.clone().find(|k| *k == lowercase && lowercase != name);
    let nearest = known
        .map(|k| (super::format::edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min_by_key(|(d, _)| *d);
    let message = if let Some(k) = in_capitals {
        // `PI*x`, `E^x`, `Sin(x)`: names are lowercase.
        format!("unknown name '{name}': names are lowercase, write {k}")
    } else if ["pow", "power"].contains(&name) {
        "write powers with ^: x^2 for pow(x, 2)".to_string()
    } else if ["x", "y", "pi", "e"].contains(&name) {
        // Known, but called like a function: pi(x).
        format!("'{name}' is a variable or a constant, not a function: write {name}*(...)")
    } else if name.chars().all(|c| c == 'x' || c == 'y') {
        // `xy` as written on paper.
        format!("a '*' is missing: write {}", spelled_out(name))
    } else if name.starts_with(['x', 'y'])
        && name
            .trim_start_matches(['x', 'y'])
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        // `x2`: a product or a power.
        let digits = name.trim_start_matches(['x', 'y']);
        let letters = spelled_out(&name[..name.len() - digits.len()]);
        format!(
            "unknown name '{name}': write {letters}*{digits}, or {letters}^{digits} for a power"
        )
    } else if name.starts_with('_') {
        // `1_000`: digits grouped as in Rust or Python.
        "a formula's numbers have no underscores: write 1000, not 1_000".to_string()
    } else if name.chars().any(|c| "²³¹⁴⁵⁶⁷⁸⁹⁰".contains(c)) {
        format!("unknown name '{name}': write powers with ^, e.g. x^2")
    } else if name == "π" {
        "unknown name 'π': write pi".to_string()
    } else if name.len() == 1 && name.chars().all(char::is_alphabetic) {
        format!("unknown variable '{name}': a formula uses x and y only")
    } else if let Some((_, k)) = nearest {
        format!("unknown name '{name}': did you mean '{k}'?")
    } else {
        format!("unknown name '{name}'")
    };
    ExprError::at(token.start, message)
}

/// A run of the letters x and y (`xy`) as the product it stands for (`x*y`); other text as it is.
fn spelled_out(text: &str) -> String {
    if text.len() > 1 && text.chars().all(|c| c == 'x' || c == 'y') {
        text.chars().map(String::from).collect::<Vec<_>>().join("*")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(text: &str, x: f64, y: f64) -> f64 {
        Expr::parse(text).unwrap().eval(x, y)
    }

    #[test]
    fn arithmetic_follows_the_usual_rules() {
        assert_eq!(f("1 + 2 * 3", 0.0, 0.0), 7.0);
        assert_eq!(f("-x^2", 3.0, 0.0), -9.0);
        assert_eq!(f("2^3^2", 0.0, 0.0), 512.0);
        assert_eq!(f("x**2 + y**2", 3.0, 4.0), 25.0);
        assert_eq!(f("x^-2", 2.0, 0.0), 0.25);
        assert_eq!(f(".5e1 - 1e-3*1000", 0.0, 0.0), 4.0);
        assert_eq!(f("np.sin(math.pi/2) + sp.exp(0)", 0.0, 0.0), 2.0);
        assert_eq!(f("max(x, y) - min(x, y)", 2.0, 5.0), 3.0);
        assert_eq!(f("atan2(1, 1) * 4", 0.0, 0.0), std::f64::consts::PI);
        assert_eq!(f("log(e) + log10(100) + log2(8)", 0.0, 0.0), 6.0);
        assert_eq!(Expr::parse("exp(x) - ln(x)").unwrap().dim(), 1);
        assert_eq!(Expr::parse("x*y").unwrap().dim(), 2);
    }

    #[test]
    fn a_row_evaluated_at_once_equals_the_points_one_by_one() {
        let expr = Expr::parse("sin(x)*y^2 - max(x, 2)/(1+x^2) + atan2(y, x) - 3^x").unwrap();
        let xs: Vec<f64> = (0..50).map(|i| -2.0 + 0.1 * i as f64).collect();
        let mut out = vec![0.0; 50];
        expr.eval_row(&xs, 0.7, &mut out, &mut Vec::new());
        for (x, v) in xs.iter().zip(&out) {
            assert_eq!(v.to_bits(), expr.eval(*x, 0.7).to_bits(), "x = {x}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases = [
            ("", 0, "empty"),
            ("2x", 1, "write 2*x"),
            ("xy+1", 0, "write x*y"),
            ("2xy", 1, "write 2*x*y"),
            ("sni(x)", 0, "did you mean 'sin'"),
            ("x + z", 4, "x and y only"),
            ("(x + 1", 0, "never closed"),
            ("x + 1)", 5, "no '('"),
            ("x +", 3, "ends"),
            ("sin x", 0, "write sin(...)"),
            ("atan2(x)", 0, "takes 2 arguments"),
            ("x $ y", 2, "unexpected '$'"),
            ("x\u{200B}+y", 1, "invisible character U+200B"),
            ("1e+", 1, "an exponent needs its digits: write 1e+5"),
            ("2e-", 1, "an exponent needs its digits"),
            ("丽.", 1, "unexpected '.'"),
            ("np.a.b", 4, "unexpected '.'"),
        ];
        for (text, position, needle) in cases {
            let err = Expr::parse(text).unwrap_err();
            assert_eq!(err.position, position, "{text:?}: {err}");
            assert!(err.message.contains(needle), "{text:?}: {err}");
            assert!(err.position <= text.chars().count());
        }
        // A call nests one level, as a parenthesis does.
        let calls = |n: usize| format!("{}x{}", "exp(".repeat(n), ")".repeat(n));
        assert!(Expr::parse(&calls(MAX_DEPTH - 1)).is_ok());
        assert!(Expr::parse(&calls(MAX_DEPTH)).is_err());
        let deep = format!("{}x{}", "(".repeat(300), ")".repeat(300));
        let err = Expr::parse(&deep).unwrap_err();
        assert!(err.message.contains("deeper than 200"), "{err}");
        let marked = Expr::parse("2x").unwrap_err().marked("2x");
        assert_eq!(marked.lines().nth(1).unwrap().find('^'), Some(1));
    }
}

/// A typed formula as an [`Objective`]: values by the stack machine on `f64`, derivatives by
/// the same instructions on dual numbers.
#[derive(Debug)]
pub struct TypedFunction {
    expr: Expr,
    info: ObjectiveInfo,
}

/// The view box of a typed function when none is given: [-5, 5] on each axis.
pub const DEFAULT_VIEW: Interval = Interval::new(-5.0, 5.0);

impl TypedFunction {
    /// The objective of `expr`, a curve if it uses only x.
    pub fn new(expr: Expr) -> Self {
        let dim = expr.dim();
        let info = ObjectiveInfo {
            name: expr.text().to_string(),
            formula: expr.text().to_string(),
            param_names: ["x", "y"][..dim].iter().map(|s| s.to_string()).collect(),
            view: vec![DEFAULT_VIEW; dim],
            minima: Vec::new(),
            default_start: vec![1.0; dim],
            domain: "where f and its gradient are finite".to_string(),
        };
        Self { expr, info }
    }

    /// The formula.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl Surface for TypedFunction {
    fn eval<D: Scalar>(&self, x: D, y: D) -> D {
        self.expr.eval(x, y)
    }
}

impl Objective for TypedFunction {
    fn info(&self) -> &ObjectiveInfo {
        &self.info
    }

    /// Where f and its gradient are finite.
    fn in_domain(&self, p: &[f64]) -> bool {
        let mut gradient = [0.0; 2];
        let gradient = &mut gradient[..self.expr.dim()];
        self.value_and_gradient(p, gradient).is_finite() && gradient.iter().all(|g| g.is_finite())
    }

    /// exp(10*x) at x = -22000 is infinite, not undefined as log(x) at x = -1 is.
    fn overflows_at(&self, p: &[f64]) -> bool {
        let mut gradient = [0.0; 2];
        let gradient = &mut gradient[..self.expr.dim()];
        let value = self.value_and_gradient(p, gradient);
        // An overflow in f makes the other partial derivatives inf * 0 = NaN: f's value
        // tells.
        value.is_infinite()
            || (!value.is_nan()
                && !gradient.iter().any(|g| g.is_nan())
                && gradient.iter().any(|g| g.is_infinite()))
    }

    fn value(&self, p: &[f64]) -> f64 {
        self.expr.eval(p[0], p.get(1).copied().unwrap_or(0.0))
    }

    fn value_and_gradient(&self, p: &[f64], gradient: &mut [f64]) -> f64 {
        if self.expr.dim() == 1 {
            let (value, slope) = curve_value_and_slope(self, p[0]);
            gradient[0] = slope;
            value
        } else {
            surface_value_and_gradient(self, p, gradient)
        }
    }

    fn second_order(&self, p: &[f64]) -> SecondOrder {
        if self.expr.dim() == 1 {
            curve_second_order(self, p[0])
        } else {
            surface_second_order(self, p)
        }
    }

    fn values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        let mut rows = Vec::with_capacity(self.expr.stack_size());
        self.expr.eval_row(xs, y, out, &mut rows);
    }

    fn defined_values_on_row(&self, xs: &[f64], y: f64, out: &mut [f64]) {
        let n = xs.len().min(out.len());
        let (mut dx, mut dy) = (vec![0.0; n], vec![0.0; n]);
        self.gradients_on_row(&xs[..n], y, &mut out[..n], &mut dx, &mut dy);
        for ((v, dx), dy) in out.iter_mut().zip(&dx).zip(&dy) {
            if !(dx.is_finite() && dy.is_finite()) {
                *v = f64::NAN;
            }
        }
    }

    fn gradients_on_row(
        &self,
        xs: &[f64],
        y: f64,
        values: &mut [f64],
        dx: &mut [f64],
        dy: &mut [f64],
    ) {
        // One row pass per direction with plain dual numbers seeded along it.
        let n = xs.len();
        let mut rows = Vec::with_capacity(self.expr.stack_size());
        let mut seeds: Vec<Dual64> = xs.iter().map(|&x| Dual64::new(x, 1.0)).collect();
        let mut out = vec![Dual64::from(0.0); n];
        self.expr
            .eval_row(&seeds, Dual64::from(y), &mut out, &mut rows);
        for (i, d) in out.iter().enumerate() {
            values[i] = d.re;
            dx[i] = d.eps;
        }
        if self.expr.dim() == 1 {
            dy[..n].fill(0.0);
            return;
        }
        for (seed, &x) in seeds.iter_mut().zip(xs) {
            *seed = Dual64::from(x);
        }
        self.expr
            .eval_row(&seeds, Dual64::new(y, 1.0), &mut out, &mut rows);
        for (d, o) in dy.iter_mut().zip(&out) {
            *d = o.eps;
        }
    }
}
