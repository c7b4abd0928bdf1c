//! Copies of tight loops' bodies, so that one epoch check serves several
//! iterations.
//!
//! A loop that checks the epoch at its header pays a load, a compare and a
//! branch per iteration; in a loop of a few operators that is a large part
//! of each iteration. For such loops (`epoch.rs`'s plan picks them: no
//! inner loop, no exception handling, short bodies) the
//! translator translates the body several times, each copy with its own
//! header, and only the first copy's header checks. The copies form a
//! ring: the back edges of copy `k` go to the header of copy `k + 1`, the
//! last copy's to the first. Entering the loop goes to the first header.
//! Falling off the end of any copy leaves the loop, to a block of the
//! loop's own taking the results.
//!
//! Nothing else changes: each copy runs exactly the operators of one
//! iteration (with fuel on, each copy's header charges one iteration's
//! fuel), so the semantics are those of the loop; an iteration of the
//! ring is `n` iterations of the loop, checked once. Since the copies hold
//! no loop, each runs its body's length at most, plus what its calls run
//! (which the callees' own checks bound, as for any call), and a check
//! still comes within a bounded number of operators.

use super::Translator;
use super::control::Frame;
use cranelift_codegen::ir::{Block, Type};

/// The loop whose body is being copied.
pub(super) struct Unroll {
    /// The copies' headers, the loop's own (which checks) first.
    headers: Vec<Block>,
    /// The copy being translated.
    copy: usize,
    /// The control stack's length with the loop's frame on it.
    depth: usize,
    /// Where each copy's fallthrough goes; its parameters are the loop's
    /// results.
    after: Block,
    after_reached: bool,
    /// The operand stack's height below the loop's parameters.
    height: usize,
    num_params: usize,
    num_results: usize,
    /// Fuel charged at each header, when fuel is on.
    fuel: Option<u64>,
    /// Set when a copy has ended and the next must be translated, from
    /// the loop's first operator on.
    pub(super) rewind: bool,
}

impl Translator<'_, '_> {
    /// After the loop at the current operator opened at `header`: starts
    /// translating `copies` copies of its body if there are more than one.
    /// Returns the block its first copy's back edges go to.
    pub(super) fn start_copies(
        &mut self,
        header: Block,
        copies: u32,
        params: &[Type],
        results: &[Type],
        fuel: Option<u64>,
    ) -> Block {
        // The plan copies no loop that holds a loop, so none is being
        // copied already.
        if copies < 2 || self.unroll.is_some() {
            return header;
        }
        let mut headers = vec![header];
        headers.extend((1..copies).map(|_| self.block_with_params(params)));
        let after = self.block_with_params(results);
        let back = headers[1];
        self.unroll = Some(Unroll {
            headers,
            copy: 0,
            depth: self.control.len() + 1,
            after,
            after_reached: false,
            height: self.stack.len() - params.len(),
            num_params: params.len(),
            num_results: results.len(),
            fuel,
            rewind: false,
        });
        back
    }

    /// At the `end` of a loop's frame, just popped: if it was a copy,
    /// leaves it to the block after the loop and sets up the next copy
    /// (if this one's back edges reach it) or the code after the loop.
    /// `looped` is whether a live back edge left the copy.
    pub(super) fn end_copy(&mut self, looped: bool) {
        let depth = self.control.len() + 1;
        if self.unroll.as_ref().is_none_or(|u| u.depth != depth) {
            return;
        }
        let mut u = self.unroll.take().expect("checked above");
        if self.reachable {
            u.after_reached = true;
            let results = self.popn(u.num_results);
            self.jump(u.after, &results);
        }
        self.stack.truncate(u.height);
        u.copy += 1;
        let ring = u.headers.len();
        if looped && u.copy < ring {
            let (header, back) = (u.headers[u.copy], u.headers[(u.copy + 1) % ring]);
            self.b.switch_to_block(header);
            self.stack.extend_from_slice(self.b.block_params(header));
            self.reachable = true;
            if let Some(cost) = u.fuel {
                self.consume_fuel(cost);
            }
            self.control
                .push(Frame::looping(back, u.height, u.num_params, u.num_results));
            u.rewind = true;
            self.unroll = Some(u);
            return;
        }
        // Done. The loop's `end` sealed the header this copy's back edges
        // went to: the first, if this was the last copy; if it was not,
        // the copies after it are never entered and the ring closes here.
        if u.copy < ring {
            self.b.seal_block(u.headers[0]);
        }
        if u.after_reached {
            self.b.switch_to_block(u.after);
            self.b.seal_block(u.after);
            self.stack.extend_from_slice(self.b.block_params(u.after));
            self.reachable = true;
        } else {
            self.reachable = false;
        }
    }
}
