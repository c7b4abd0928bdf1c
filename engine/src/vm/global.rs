//! Globals: the storage behind a `VMGlobal` pointer in a vmctx.

use super::vmctx::VMGlobal;
use crate::types::GlobalType;

/// A global the store owns (boxed in the store, so the `slot` address that
/// vmctx blocks hold stays valid).
pub struct GlobalData {
    pub slot: VMGlobal,
    pub ty: GlobalType,
}
