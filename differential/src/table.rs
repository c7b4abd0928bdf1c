//! Table instructions (spec §4.4.6): `table.get/set/size/grow/fill/copy/
//! init` and `elem.drop`, each checking its whole range before touching
//! the table (Wasm 2.0 semantics: a trapping instruction changes nothing).
//! Indices and lengths are `u64`: a table64's operands are `i64`.

use crate::error::{Error, Trap};
use crate::memory::in_bounds;
use crate::store::{ElemAddr, Store, TableAddr};
use crate::value::Ref;

impl Store {
    /// `table.get`.
    pub(crate) fn table_get(&self, t: TableAddr, i: u64) -> Result<Ref, Error> {
        let elem = &self.table(t)?.elem;
        let range = in_bounds(elem.len(), i, 1).ok_or(Trap::TableOutOfBounds)?;
        Ok(elem[range.start])
    }

    /// `table.set`.
    pub(crate) fn table_set(&mut self, t: TableAddr, i: u64, r: Ref) -> Result<(), Error> {
        let elem = &mut self.table_mut(t)?.elem;
        let range = in_bounds(elem.len(), i, 1).ok_or(Trap::TableOutOfBounds)?;
        elem[range.start] = r;
        Ok(())
    }

    /// `table.size`.
    pub(crate) fn table_size(&self, t: TableAddr) -> Result<u64, Error> {
        Ok(self.table(t)?.elem.len() as u64)
    }

    /// `table.fill i val n`.
    pub(crate) fn table_fill(&mut self, t: TableAddr, i: u64, r: Ref, n: u64) -> Result<(), Error> {
        let elem = &mut self.table_mut(t)?.elem;
        let range = in_bounds(elem.len(), i, n).ok_or(Trap::TableOutOfBounds)?;
        elem[range].fill(r);
        Ok(())
    }

    /// `table.copy x y d s n`; tables `x` and `y` may be the same.
    pub(crate) fn table_copy(
        &mut self,
        dst: TableAddr,
        src: TableAddr,
        d: u64,
        s: u64,
        n: u64,
    ) -> Result<(), Error> {
        let src_len = self.table(src)?.elem.len();
        let dst_len = self.table(dst)?.elem.len();
        let s_range = in_bounds(src_len, s, n).ok_or(Trap::TableOutOfBounds)?;
        let d_range = in_bounds(dst_len, d, n).ok_or(Trap::TableOutOfBounds)?;
        if dst == src {
            self.table_mut(dst)?
                .elem
                .copy_within(s_range, d_range.start);
        } else {
            let items = self.table(src)?.elem[s_range].to_vec();
            self.table_mut(dst)?.elem[d_range].copy_from_slice(&items);
        }
        Ok(())
    }

    /// `table.init x y d s n`: copy from element instance `e` into table `t`.
    /// Also used by instantiation for active element segments.
    pub(crate) fn table_init(
        &mut self,
        t: TableAddr,
        e: ElemAddr,
        d: u64,
        s: u32,
        n: u32,
    ) -> Result<(), Error> {
        let seg_len = self.elems.get(e).map(|x| x.elem.len()).unwrap_or(0);
        let s_range = in_bounds(seg_len, s as u64, n as u64).ok_or(Trap::TableOutOfBounds)?;
        let dst_len = self.table(t)?.elem.len();
        let d_range = in_bounds(dst_len, d, n as u64).ok_or(Trap::TableOutOfBounds)?;
        let items = self.elem_mut(e)?.elem[s_range].to_vec();
        self.table_mut(t)?.elem[d_range].copy_from_slice(&items);
        Ok(())
    }

    /// `elem.drop x`.
    pub(crate) fn elem_drop(&mut self, e: ElemAddr) -> Result<(), Error> {
        self.elem_mut(e)?.elem = Vec::new();
        Ok(())
    }
}
