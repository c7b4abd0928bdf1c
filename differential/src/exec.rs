//! Execution (spec §4.4 "Instructions", §4.4.10 "Function Calls").
//!
//! The spec's single stack of values, labels and activation frames is kept
//! here as three parallel stacks with the same discipline: `values`,
//! `labels` (each remembering the value-stack height at its entry) and
//! `frames` (each remembering where its labels and values start). Wasm
//! calls never recurse on the host stack: a call pushes the caller's frame
//! and continues the step loop with the callee's; a return pops it. A tail
//! call (`return_call`, `return_call_indirect`) first leaves the running
//! frame as a return would, keeping only the callee's arguments, then
//! enters the callee in its place: nothing is pushed, so a loop of tail
//! calls runs in constant space and never exhausts the call depth. Depth
//! is bounded by [`Config::max_call_depth`](crate::Config) and reported as
//! the trap "call stack exhausted"; the instruction budget
//! ([`Config::fuel`](crate::Config)) as [`Error::FuelExhausted`].
//!
//! Structured control follows the spec's reduction rules:
//! * `block`/`if` push a label whose continuation is just past the `end`
//!   and whose arity is the block's result count;
//! * `loop` pushes a label whose continuation is the loop's start and whose
//!   arity is the loop's parameter count;
//! * `br l` keeps the label's arity values, drops everything down to the
//!   label's height, pops the labels it exits and jumps to the continuation
//!   (re-entering a loop keeps the loop's label, as re-executing `loop`
//!   would push it again);
//! * `end` pops the innermost label; with none left in the frame it is the
//!   end of the function body and returns, as does a branch to the
//!   function's own (outermost, implicit) label.

use std::sync::Arc;

use crate::error::{Error, Trap};
use crate::instr::Catch;
use crate::instr::{Instr, WideOp};
use crate::module::Func;
use crate::numeric;
use crate::simd;
use crate::store::ExnInst;
use crate::store::{FuncInst, MemAddr, ModuleAddr, ModuleInst, Store, TableAddr, addr};
use crate::value::{ExnAddr, FuncAddr, Ref, Value};

/// An activation frame (§4.2.13): the function's locals and module, plus
/// the interpreter's bookkeeping of where it is and what it owns.
struct Frame {
    code: Arc<Func>,
    module: ModuleAddr,
    locals: Vec<Value>,
    /// Number of results the function returns.
    arity: usize,
    /// Position of the next instruction in `code.body`.
    pc: usize,
    /// `labels.len()` when the frame was entered.
    label_base: usize,
    /// `values.len()` after the arguments were popped.
    value_base: usize,
}

/// A label (§4.2.13): arity, continuation and the value-stack height at
/// entry (below the block's parameters).
#[derive(Copy, Clone)]
struct Label {
    arity: usize,
    cont: usize,
    height: usize,
    is_loop: bool,
    /// For a `try_table` or legacy `try`: its position in the body,
    /// where its catch clauses are.
    handler: Option<usize>,
    /// For a legacy `try` in one of its catch clauses: the exception it
    /// caught (for `rethrow`); its own clauses no longer apply.
    caught: Option<ExnAddr>,
}

/// What the step loop does after one instruction.
enum Flow {
    /// Continue the current function at this position.
    Next(usize),
    /// Invoke the function at this address, then resume after the call.
    Call(FuncAddr),
    /// Invoke the function at this address in place of the current one:
    /// its results are the current function's.
    TailCall(FuncAddr),
    /// Return from the current function.
    Return,
    /// Throw this exception from the current position: to the innermost
    /// handler of the running frame, else of its callers.
    Throw(ExnAddr),
}

/// One thread of execution over a store.
struct Machine<'s> {
    store: &'s mut Store,
    values: Vec<Value>,
    labels: Vec<Label>,
    /// Suspended callers; the running frame is held by [`Machine::run`].
    frames: Vec<Frame>,
    /// Wasm activations alive, including the running one.
    depth: usize,
    locals_in_use: usize,
    fuel: Option<u64>,
}

fn broken(what: &str) -> Error {
    Error::Invalid(format!(
        "interpreter invariant violated: {what} (unvalidated code?)"
    ))
}

/// Invoke function `f` with `args` (§4.5.5 "Invocation") and return its
/// results. Arguments are checked against the function's type.
pub fn invoke(store: &mut Store, f: FuncAddr, args: &[Value]) -> Result<Vec<Value>, Error> {
    let ty = store.func(f)?.ty().clone();
    store.check_args(&ty, args)?;
    let fuel = store.config.fuel;
    let mut m = Machine {
        store,
        values: args.to_vec(),
        labels: Vec::new(),
        frames: Vec::new(),
        depth: 0,
        locals_in_use: 0,
        fuel,
    };
    if let Some(frame) = m.enter(f)? {
        m.run(frame)?;
    }
    Ok(m.values)
}

impl Machine<'_> {
    fn pop(&mut self) -> Result<Value, Error> {
        self.values
            .pop()
            .ok_or_else(|| broken("value stack underflow"))
    }

    fn pop_i32(&mut self) -> Result<i32, Error> {
        match self.pop()? {
            Value::I32(v) => Ok(v),
            _ => Err(broken("expected i32")),
        }
    }

    fn pop_i64(&mut self) -> Result<i64, Error> {
        match self.pop()? {
            Value::I64(v) => Ok(v),
            _ => Err(broken("expected i64")),
        }
    }

    /// An `i32` operand used as an address, length or index: unsigned.
    fn pop_u32(&mut self) -> Result<u32, Error> {
        Ok(self.pop_i32()? as u32)
    }

    /// An index, length or size operand of a memory or table: unsigned,
    /// an `i64` if the memory or table is 64-bit (`is64`), else an `i32`.
    fn pop_index(&mut self, is64: bool) -> Result<u64, Error> {
        if !is64 {
            return Ok(self.pop_u32()?.into());
        }
        match self.pop()? {
            Value::I64(v) => Ok(v as u64),
            _ => Err(broken("expected i64")),
        }
    }

    /// A size (or the old size `memory.grow`/`table.grow` return, -1 for
    /// `None`) of a memory or table, of its index type.
    fn push_index(&mut self, is64: bool, v: Option<u64>) {
        self.push(match is64 {
            true => Value::I64(v.map_or(-1, |v| v as i64)),
            false => Value::I32(v.map_or(-1, |v| v as i32)),
        });
    }

    fn mem64(&self, m: MemAddr) -> Result<bool, Error> {
        Ok(self.store.mem(m)?.ty.is64)
    }

    fn table64(&self, t: TableAddr) -> Result<bool, Error> {
        Ok(self.store.table(t)?.ty.is64)
    }

    fn pop_v128(&mut self) -> Result<u128, Error> {
        match self.pop()? {
            Value::V128(v) => Ok(v),
            _ => Err(broken("expected v128")),
        }
    }

    fn pop_ref(&mut self) -> Result<Ref, Error> {
        match self.pop()? {
            Value::Ref(r) => Ok(r),
            _ => Err(broken("expected reference")),
        }
    }

    fn push(&mut self, v: Value) {
        self.values.push(v);
    }

    fn module(&self, frame: &Frame) -> Result<&ModuleInst, Error> {
        self.store.module(frame.module)
    }

    /// Begin invoking `f` with its arguments on the value stack. Host
    /// functions run to completion here (returning `None`); Wasm functions
    /// yield the callee's fresh frame.
    fn enter(&mut self, f: FuncAddr) -> Result<Option<Frame>, Error> {
        match self.store.func(f)?.clone() {
            FuncInst::Host { ty, func, .. } => {
                let base = self
                    .values
                    .len()
                    .checked_sub(ty.params.len())
                    .ok_or_else(|| broken("missing arguments"))?;
                let args = self.values.split_off(base);
                let results = func(&args)?;
                if results.len() != ty.results.len()
                    || !results
                        .iter()
                        .zip(&ty.results)
                        .all(|(v, t)| self.store.value_has_type(*v, *t))
                {
                    return Err(Error::Invalid("host function returned wrong types".into()));
                }
                self.values.extend(results);
                Ok(None)
            }
            FuncInst::Wasm {
                ty, module, code, ..
            } => {
                let nlocals = ty.params.len() + code.locals.len();
                if self.depth >= self.store.config.max_call_depth
                    || self.locals_in_use + nlocals > self.store.config.max_locals
                {
                    return Err(Trap::CallStackExhausted.into());
                }
                let base = self
                    .values
                    .len()
                    .checked_sub(ty.params.len())
                    .ok_or_else(|| broken("missing arguments"))?;
                let mut locals = self.values.split_off(base);
                locals.extend(code.locals.iter().map(|t| Value::default_for(*t)));
                self.depth += 1;
                self.locals_in_use += nlocals;
                Ok(Some(Frame {
                    code,
                    module,
                    locals,
                    arity: ty.results.len(),
                    pc: 0,
                    label_base: self.labels.len(),
                    value_base: self.values.len(),
                }))
            }
        }
    }

    /// Leave `frame`: keep its results, discard the rest of its stack.
    fn leave(&mut self, frame: &Frame) -> Result<(), Error> {
        self.leave_keeping(frame, frame.arity)
    }

    /// Leave `frame`, keeping the `keep` values on top of the stack (its
    /// results, or the arguments of the function it tail-calls) and
    /// discarding the rest of its stack, its labels and its locals.
    fn leave_keeping(&mut self, frame: &Frame, keep: usize) -> Result<(), Error> {
        let top = self
            .values
            .len()
            .checked_sub(keep)
            .filter(|t| *t >= frame.value_base)
            .ok_or_else(|| broken("missing results or arguments"))?;
        self.values.drain(frame.value_base..top);
        self.labels.truncate(frame.label_base);
        self.depth -= 1;
        self.locals_in_use -= frame.locals.len();
        Ok(())
    }

    /// The step loop: run `frame` (and everything it calls) to completion.
    fn run(&mut self, mut frame: Frame) -> Result<(), Error> {
        loop {
            // Hold the code separately so instructions can be borrowed
            // while the frame itself is mutated.
            let code = Arc::clone(&frame.code);
            let instr = code
                .body
                .get(frame.pc)
                .ok_or_else(|| broken("fell off the function body"))?;
            if let Some(fuel) = &mut self.fuel {
                if *fuel == 0 {
                    return Err(Error::FuelExhausted);
                }
                *fuel -= 1;
            }
            let mut flow = self.step(&mut frame, instr)?;
            // Unwind frame by frame to the innermost handler; the flow
            // it yields (a branch, or a return) goes on as usual.
            while let Flow::Throw(exn) = flow {
                match self.catch(&frame, exn)? {
                    Some(next) => flow = next,
                    None => {
                        self.values.truncate(frame.value_base);
                        self.labels.truncate(frame.label_base);
                        self.depth -= 1;
                        self.locals_in_use -= frame.locals.len();
                        match self.frames.pop() {
                            Some(caller) => frame = caller,
                            None => return Err(Error::Exception(exn)),
                        }
                    }
                }
            }
            match flow {
                Flow::Throw(_) => unreachable!("handled above"),
                Flow::Next(pc) => frame.pc = pc,
                Flow::Call(f) => {
                    frame.pc += 1;
                    if let Some(callee) = self.enter(f)? {
                        let caller = std::mem::replace(&mut frame, callee);
                        self.frames.push(caller);
                    }
                }
                Flow::TailCall(f) => {
                    let args = self.store.func(f)?.ty().params.len();
                    self.leave_keeping(&frame, args)?;
                    match self.enter(f)? {
                        Some(callee) => frame = callee,
                        // A host function has run and left its results,
                        // which are the replaced frame's: return them.
                        None => match self.frames.pop() {
                            Some(caller) => frame = caller,
                            None => return Ok(()),
                        },
                    }
                }
                Flow::Return => {
                    self.leave(&frame)?;
                    match self.frames.pop() {
                        Some(caller) => frame = caller,
                        None => return Ok(()),
                    }
                }
            }
        }
    }

    fn push_label(
        &mut self,
        arity: usize,
        params: usize,
        cont: usize,
        is_loop: bool,
    ) -> Result<(), Error> {
        let height = self
            .values
            .len()
            .checked_sub(params)
            .ok_or_else(|| broken("missing block parameters"))?;
        self.labels.push(Label {
            arity,
            cont,
            height,
            is_loop,
            handler: None,
            caught: None,
        });
        Ok(())
    }

    /// The handler of `exn` among the running frame's open `try_table`s,
    /// innermost first: leaves the `try_table` with the payload and/or
    /// the reference and branches to the clause's label. `None` if no
    /// clause of this frame matches.
    fn catch(&mut self, frame: &Frame, exn: ExnAddr) -> Result<Option<Flow>, Error> {
        let (tag, fields) = {
            let e = self.store.exn(exn)?;
            (e.tag, e.fields.clone())
        };
        let mut idx = self.labels.len();
        while idx > frame.label_base {
            idx -= 1;
            let label = self.labels[idx];
            let Some(at) = label.handler else { continue };
            let catches = match frame.code.body.get(at) {
                Some(Instr::TryTable { catches, .. }) => catches,
                Some(Instr::Try {
                    clauses, delegate, ..
                }) => {
                    if label.caught.is_some() {
                        continue;
                    }
                    if let Some(l) = delegate {
                        // Go on with the handlers around label `l` (counted
                        // from outside the `try`), that label's included.
                        match idx.checked_sub(*l as usize) {
                            Some(next) if next > frame.label_base => {
                                idx = next;
                                continue;
                            }
                            _ => return Ok(None),
                        }
                    }
                    for &c in clauses {
                        let Some(Instr::LegacyCatch {
                            tag: clause_tag, ..
                        }) = frame.code.body.get(c)
                        else {
                            return Err(broken("try clause without catch"));
                        };
                        let matched = match clause_tag {
                            None => true,
                            Some(t) => addr(&self.module(frame)?.tagaddrs, *t, "tag")? == tag,
                        };
                        if matched {
                            self.values.truncate(label.height);
                            self.labels.truncate(idx + 1);
                            self.labels[idx].caught = Some(exn);
                            if clause_tag.is_some() {
                                self.values.extend_from_slice(&fields);
                            }
                            return Ok(Some(Flow::Next(c + 1)));
                        }
                    }
                    continue;
                }
                _ => return Err(broken("handler without try")),
            };
            let catches: Vec<Catch> = catches.to_vec();
            for c in catches {
                let matched = match c.tag {
                    None => true,
                    Some(t) => addr(&self.module(frame)?.tagaddrs, t, "tag")? == tag,
                };
                if matched {
                    self.values.truncate(label.height);
                    self.labels.truncate(idx);
                    if c.tag.is_some() {
                        self.values.extend_from_slice(&fields);
                    }
                    if c.with_ref {
                        self.push(Value::Ref(Ref::Exn(exn)));
                    }
                    return self.branch(frame, c.label).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// `br l` (§4.4.8).
    fn branch(&mut self, frame: &Frame, l: u32) -> Result<Flow, Error> {
        let open = self.labels.len() - frame.label_base;
        let l = l as usize;
        if l >= open {
            // The function body's own label: a branch to it is a return.
            return Ok(Flow::Return);
        }
        // In range: `l < open <= labels.len()`.
        let idx = self.labels.len() - 1 - l;
        let label = self.labels[idx];
        let top = self
            .values
            .len()
            .checked_sub(label.arity)
            .filter(|t| *t >= label.height)
            .ok_or_else(|| broken("missing branch operands"))?;
        self.values.drain(label.height..top);
        self.labels
            .truncate(if label.is_loop { idx + 1 } else { idx });
        Ok(Flow::Next(label.cont))
    }

    /// The callee of `call_indirect` / `return_call_indirect` (§4.4.10):
    /// pops the element index and checks the element against `type_idx`.
    fn indirect_callee(
        &mut self,
        frame: &Frame,
        type_idx: u32,
        table: u32,
    ) -> Result<FuncAddr, Error> {
        let inst = self.module(frame)?;
        let ta = addr(&inst.tableaddrs, table, "table")?;
        let expected = *inst
            .type_ids
            .get(type_idx as usize)
            .ok_or_else(|| broken("type index"))?;
        let i = self.pop_index(self.table64(ta)?)?;
        let elem = &self.store.table(ta)?.elem;
        let r = *usize::try_from(i)
            .ok()
            .and_then(|i| elem.get(i))
            .ok_or(Trap::UndefinedElement)?;
        let f = match r {
            Ref::Func(f) => f,
            Ref::Null(_) => return Err(Trap::UninitializedElement.into()),
            Ref::Extern(_) | Ref::Exn(_) => {
                return Err(broken("non-function ref in funcref table"));
            }
        };
        // The function's type or a declared subtype of it (GC).
        if !self.store.func(f)?.type_id().matches(expected) {
            return Err(Trap::IndirectCallTypeMismatch.into());
        }
        Ok(f)
    }

    /// The callee of `call_ref` / `return_call_ref`: the popped reference,
    /// which must not be null.
    fn ref_callee(&mut self) -> Result<FuncAddr, Error> {
        match self.pop_ref()? {
            Ref::Func(f) => Ok(f),
            Ref::Null(_) => Err(Trap::NullFunctionReference.into()),
            Ref::Extern(_) | Ref::Exn(_) => Err(broken("non-function ref called")),
        }
    }

    /// Execute one instruction of `frame`.
    fn step(&mut self, frame: &mut Frame, instr: &Instr) -> Result<Flow, Error> {
        let next = frame.pc + 1;
        match instr {
            // ---- Control instructions ----
            Instr::Unreachable => return Err(Trap::Unreachable.into()),
            Instr::Nop => {}
            Instr::Block { arity, end } => {
                self.push_label(arity.results, arity.params, end + 1, false)?
            }
            Instr::TryTable { arity, end, .. } => {
                self.push_label(arity.results, arity.params, end + 1, false)?;
                if let Some(label) = self.labels.last_mut() {
                    label.handler = Some(frame.pc);
                }
            }
            Instr::Try { arity, end, .. } => {
                self.push_label(arity.results, arity.params, end + 1, false)?;
                if let Some(label) = self.labels.last_mut() {
                    label.handler = Some(frame.pc);
                }
            }
            // The section before it is done: on to the `try`'s `end`.
            Instr::LegacyCatch { end, .. } => return Ok(Flow::Next(*end)),
            Instr::Delegate => {
                self.labels.pop();
            }
            Instr::Rethrow(l) => {
                let label = self
                    .labels
                    .len()
                    .checked_sub(1 + *l as usize)
                    .and_then(|i| self.labels.get(i))
                    .ok_or_else(|| broken("rethrow label"))?;
                let exn = label
                    .caught
                    .ok_or_else(|| broken("rethrow outside catch"))?;
                return Ok(Flow::Throw(exn));
            }
            Instr::Throw(x) => {
                let tag = addr(&self.module(frame)?.tagaddrs, *x, "tag")?;
                let n = self.store.tag(tag)?.ty.params.len();
                let base = self
                    .values
                    .len()
                    .checked_sub(n)
                    .ok_or_else(|| broken("missing exception payload"))?;
                let fields = self.values.split_off(base);
                self.store.exns.push(ExnInst { tag, fields });
                return Ok(Flow::Throw(self.store.exns.len() - 1));
            }
            Instr::ThrowRef => {
                return match self.pop_ref()? {
                    Ref::Exn(a) => Ok(Flow::Throw(a)),
                    Ref::Null(_) => Err(Trap::NullExceptionReference.into()),
                    _ => Err(broken("throw_ref of a non-exception reference")),
                };
            }
            Instr::Loop { arity } => {
                self.push_label(arity.params, arity.params, frame.pc + 1, true)?
            }
            Instr::If {
                arity,
                else_at,
                end,
            } => {
                let c = self.pop_i32()?;
                if c != 0 {
                    self.push_label(arity.results, arity.params, end + 1, false)?;
                } else if let Some(e) = else_at {
                    self.push_label(arity.results, arity.params, end + 1, false)?;
                    return Ok(Flow::Next(e + 1));
                } else {
                    // No else arm: an empty one, whose label would be
                    // entered and exited at once.
                    return Ok(Flow::Next(end + 1));
                }
            }
            // End of a `then` arm: continue at the `end`, which pops the label.
            Instr::Else { end } => return Ok(Flow::Next(*end)),
            Instr::End => {
                if self.labels.len() > frame.label_base {
                    self.labels.pop();
                } else {
                    return Ok(Flow::Return);
                }
            }
            Instr::Br(l) => return self.branch(frame, *l),
            Instr::BrIf(l) => {
                if self.pop_i32()? != 0 {
                    return self.branch(frame, *l);
                }
            }
            Instr::BrTable { targets, default } => {
                let i = self.pop_u32()? as usize;
                let l = targets.get(i).copied().unwrap_or(*default);
                return self.branch(frame, l);
            }
            Instr::Return => return Ok(Flow::Return),
            Instr::Call(x) => {
                return Ok(Flow::Call(addr(
                    &self.module(frame)?.funcaddrs,
                    *x,
                    "function",
                )?));
            }
            Instr::CallIndirect { type_idx, table } => {
                return Ok(Flow::Call(self.indirect_callee(frame, *type_idx, *table)?));
            }
            Instr::ReturnCall(x) => {
                return Ok(Flow::TailCall(addr(
                    &self.module(frame)?.funcaddrs,
                    *x,
                    "function",
                )?));
            }
            Instr::ReturnCallIndirect { type_idx, table } => {
                return Ok(Flow::TailCall(
                    self.indirect_callee(frame, *type_idx, *table)?,
                ));
            }
            // The reference's type, checked by validation, is the call's:
            // only null is left to trap on.
            Instr::CallRef(_) => return Ok(Flow::Call(self.ref_callee()?)),
            Instr::ReturnCallRef(_) => return Ok(Flow::TailCall(self.ref_callee()?)),
            Instr::BrOnNull(l) => {
                let r = self.pop_ref()?;
                if r.is_null() {
                    return self.branch(frame, *l);
                }
                self.push(Value::Ref(r));
            }
            Instr::BrOnNonNull(l) => {
                let r = self.pop_ref()?;
                if !r.is_null() {
                    self.push(Value::Ref(r));
                    return self.branch(frame, *l);
                }
            }

            // ---- Reference instructions ----
            Instr::RefNull(t) => self.push(Value::Ref(Ref::Null(*t))),
            Instr::RefIsNull => {
                let r = self.pop_ref()?;
                self.push(Value::I32(r.is_null() as i32));
            }
            Instr::RefFunc(x) => {
                let f = addr(&self.module(frame)?.funcaddrs, *x, "function")?;
                self.push(Value::Ref(Ref::Func(f)));
            }
            Instr::RefAsNonNull => {
                let r = self.pop_ref()?;
                if r.is_null() {
                    return Err(Trap::NullReference.into());
                }
                self.push(Value::Ref(r));
            }

            // ---- Parametric instructions ----
            Instr::Drop => {
                self.pop()?;
            }
            Instr::Select => {
                let c = self.pop_i32()?;
                let v2 = self.pop()?;
                let v1 = self.pop()?;
                self.push(if c != 0 { v1 } else { v2 });
            }

            // ---- Variable instructions ----
            Instr::LocalGet(x) => {
                let v = *frame
                    .locals
                    .get(*x as usize)
                    .ok_or_else(|| broken("local index"))?;
                self.push(v);
            }
            Instr::LocalSet(x) => {
                let v = self.pop()?;
                *frame
                    .locals
                    .get_mut(*x as usize)
                    .ok_or_else(|| broken("local index"))? = v;
            }
            Instr::LocalTee(x) => {
                let v = *self
                    .values
                    .last()
                    .ok_or_else(|| broken("value stack underflow"))?;
                *frame
                    .locals
                    .get_mut(*x as usize)
                    .ok_or_else(|| broken("local index"))? = v;
            }
            Instr::GlobalGet(x) => {
                let g = addr(&self.module(frame)?.globaladdrs, *x, "global")?;
                let v = self.store.global_value(g)?;
                self.push(v);
            }
            Instr::GlobalSet(x) => {
                let g = addr(&self.module(frame)?.globaladdrs, *x, "global")?;
                let v = self.pop()?;
                self.store.global_mut(g)?.value = v;
            }

            // ---- Table instructions ----
            Instr::TableGet(x) => {
                let t = addr(&self.module(frame)?.tableaddrs, *x, "table")?;
                let i = self.pop_index(self.table64(t)?)?;
                let r = self.store.table_get(t, i)?;
                self.push(Value::Ref(r));
            }
            Instr::TableSet(x) => {
                let t = addr(&self.module(frame)?.tableaddrs, *x, "table")?;
                let r = self.pop_ref()?;
                let i = self.pop_index(self.table64(t)?)?;
                self.store.table_set(t, i, r)?;
            }
            Instr::TableSize(x) => {
                let t = addr(&self.module(frame)?.tableaddrs, *x, "table")?;
                let n = self.store.table_size(t)?;
                self.push_index(self.table64(t)?, Some(n));
            }
            Instr::TableGrow(x) => {
                let t = addr(&self.module(frame)?.tableaddrs, *x, "table")?;
                let is64 = self.table64(t)?;
                let n = self.pop_index(is64)?;
                let init = self.pop_ref()?;
                let old = self.store.grow_table(t, n, init)?;
                self.push_index(is64, old);
            }
            Instr::TableFill(x) => {
                let t = addr(&self.module(frame)?.tableaddrs, *x, "table")?;
                let is64 = self.table64(t)?;
                let n = self.pop_index(is64)?;
                let r = self.pop_ref()?;
                let i = self.pop_index(is64)?;
                self.store.table_fill(t, i, r, n)?;
            }
            Instr::TableCopy { dst, src } => {
                let inst = self.module(frame)?;
                let (td, ts) = (
                    addr(&inst.tableaddrs, *dst, "table")?,
                    addr(&inst.tableaddrs, *src, "table")?,
                );
                let (d64, s64) = (self.table64(td)?, self.table64(ts)?);
                // The length is of the narrower index type.
                let n = self.pop_index(d64 && s64)?;
                let s = self.pop_index(s64)?;
                let d = self.pop_index(d64)?;
                self.store.table_copy(td, ts, d, s, n)?;
            }
            Instr::TableInit { elem, table } => {
                let inst = self.module(frame)?;
                let (t, e) = (
                    addr(&inst.tableaddrs, *table, "table")?,
                    addr(&inst.elemaddrs, *elem, "element segment")?,
                );
                let n = self.pop_u32()?;
                let s = self.pop_u32()?;
                let d = self.pop_index(self.table64(t)?)?;
                self.store.table_init(t, e, d, s, n)?;
            }
            Instr::ElemDrop(x) => {
                let e = addr(&self.module(frame)?.elemaddrs, *x, "element segment")?;
                self.store.elem_drop(e)?;
            }

            // ---- Memory instructions ----
            Instr::Load { kind, mem, offset } => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let i = self.pop_index(self.mem64(m)?)?;
                let v = self.store.load(m, *kind, i, *offset)?;
                self.push(v);
            }
            Instr::Store { kind, mem, offset } => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let v = self.pop()?;
                let i = self.pop_index(self.mem64(m)?)?;
                self.store.store(m, *kind, i, *offset, v)?;
            }
            Instr::MemorySize(mem) => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let n = self.store.mem_size(m)?;
                self.push_index(self.mem64(m)?, Some(n));
            }
            Instr::MemoryGrow(mem) => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let is64 = self.mem64(m)?;
                let n = self.pop_index(is64)?;
                let old = self.store.grow_mem(m, n)?;
                self.push_index(is64, old);
            }
            Instr::MemoryFill(mem) => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let is64 = self.mem64(m)?;
                let n = self.pop_index(is64)?;
                let val = self.pop_i32()?;
                let d = self.pop_index(is64)?;
                // The fill byte is the value modulo 256.
                self.store.mem_fill(m, d, val as u8, n)?;
            }
            Instr::MemoryCopy { dst, src } => {
                let inst = self.module(frame)?;
                let (md, ms) = (
                    addr(&inst.memaddrs, *dst, "memory")?,
                    addr(&inst.memaddrs, *src, "memory")?,
                );
                let (d64, s64) = (self.mem64(md)?, self.mem64(ms)?);
                // The length is of the narrower index type.
                let n = self.pop_index(d64 && s64)?;
                let s = self.pop_index(s64)?;
                let d = self.pop_index(d64)?;
                self.store.mem_copy(md, ms, d, s, n)?;
            }
            Instr::MemoryInit { data, mem } => {
                let inst = self.module(frame)?;
                let (m, da) = (
                    addr(&inst.memaddrs, *mem, "memory")?,
                    addr(&inst.dataaddrs, *data, "data segment")?,
                );
                let n = self.pop_u32()?;
                let s = self.pop_u32()?;
                let d = self.pop_index(self.mem64(m)?)?;
                self.store.mem_init(m, da, d, s, n)?;
            }
            Instr::DataDrop(x) => {
                let da = addr(&self.module(frame)?.dataaddrs, *x, "data segment")?;
                self.store.data_drop(da)?;
            }
            Instr::LoadLane {
                bytes,
                lane,
                mem,
                offset,
            } => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let v = self.pop_v128()?;
                let i = self.pop_index(self.mem64(m)?)?;
                let r = self.store.load_lane(m, *bytes, *lane, i, *offset, v)?;
                self.push(Value::V128(r));
            }
            Instr::StoreLane {
                bytes,
                lane,
                mem,
                offset,
            } => {
                let m = addr(&self.module(frame)?.memaddrs, *mem, "memory")?;
                let v = self.pop_v128()?;
                let i = self.pop_index(self.mem64(m)?)?;
                self.store.store_lane(m, *bytes, *lane, i, *offset, v)?;
            }

            // ---- Numeric instructions ----
            Instr::Const(v) => self.push(*v),
            Instr::IUnop(_, op) => {
                let a = self.pop()?;
                self.push(numeric::iunop(*op, a)?);
            }
            Instr::IBinop(_, op) => {
                let b = self.pop()?;
                let a = self.pop()?;
                self.push(numeric::ibinop(*op, a, b)?);
            }
            Instr::Wide(op) => {
                let (lo, hi) = match op {
                    WideOp::Add128 | WideOp::Sub128 => {
                        let (b_hi, b_lo) = (self.pop_i64()?, self.pop_i64()?);
                        let (a_hi, a_lo) = (self.pop_i64()?, self.pop_i64()?);
                        let a = (u128::from(a_hi as u64) << 64) | u128::from(a_lo as u64);
                        let b = (u128::from(b_hi as u64) << 64) | u128::from(b_lo as u64);
                        let r = if *op == WideOp::Add128 {
                            a.wrapping_add(b)
                        } else {
                            a.wrapping_sub(b)
                        };
                        (r as u64, (r >> 64) as u64)
                    }
                    WideOp::MulWideS => {
                        let (b, a) = (self.pop_i64()?, self.pop_i64()?);
                        let r = i128::from(a) * i128::from(b);
                        (r as u64, ((r as u128) >> 64) as u64)
                    }
                    WideOp::MulWideU => {
                        let (b, a) = (self.pop_i64()?, self.pop_i64()?);
                        let r = u128::from(a as u64) * u128::from(b as u64);
                        (r as u64, (r >> 64) as u64)
                    }
                };
                self.push(Value::I64(lo as i64));
                self.push(Value::I64(hi as i64));
            }
            Instr::IEqz(_) => {
                let a = self.pop()?;
                self.push(numeric::ieqz(a)?);
            }
            Instr::IRelop(_, op) => {
                let b = self.pop()?;
                let a = self.pop()?;
                self.push(numeric::irelop(*op, a, b)?);
            }
            Instr::FUnop(_, op) => {
                let a = self.pop()?;
                self.push(numeric::funop(*op, a)?);
            }
            Instr::FBinop(_, op) => {
                let b = self.pop()?;
                let a = self.pop()?;
                self.push(numeric::fbinop(*op, a, b)?);
            }
            Instr::FRelop(_, op) => {
                let b = self.pop()?;
                let a = self.pop()?;
                self.push(numeric::frelop(*op, a, b)?);
            }
            Instr::Cvt(op) => {
                let a = self.pop()?;
                self.push(numeric::cvt(*op, a)?);
            }

            // ---- Vector instructions (memory ones are above) ----
            Instr::Vector(op) => {
                let base = self
                    .values
                    .len()
                    .checked_sub(simd::arity(op))
                    .ok_or_else(|| broken("value stack underflow"))?;
                let r = simd::eval(op, &self.values[base..])?;
                self.values.truncate(base);
                self.push(r);
            }
        }
        Ok(Flow::Next(next))
    }
}
