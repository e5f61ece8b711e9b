//! Cache prefetch hints, for an area's event loop.
//!
//! An area runs thousands of homes in turn, each for a window of its LAN's
//! events, and each home's state (its queue, its LAN clients' streams, its
//! NAPT table) has left the cache since its last window: its first events
//! cost some tens of memory misses, one after the other. The area runs the
//! homes in index order, so it asks the CPU to start loading the state of the
//! homes a few places on while one runs (docs/area.md, "Speed"). A prefetch
//! changes no value the program reads: it only moves data into the cache and
//! never faults.

/// Asks the CPU to start loading the cache line that holds `value`.
#[inline]
pub fn prefetch_line<T: ?Sized>(value: &T) {
    prefetch_address(value as *const T as *const u8);
}

/// [`prefetch_line`] for every cache line of `value`.
#[inline]
pub fn prefetch_all<T>(value: &T) {
    let start = value as *const T as *const u8;
    let mut offset = 0;
    while offset < std::mem::size_of::<T>() {
        prefetch_address(start.wrapping_add(offset));
        offset += 64;
    }
}

/// The one place fletsim uses `unsafe`: `_mm_prefetch` is an intrinsic, so Rust asks for
/// an unsafe block although a prefetch reads nothing and cannot fault, whatever the address.
#[inline]
#[allow(unsafe_code)]
fn prefetch_address(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint: it never faults, never changes memory, and no
        // value the program reads depends on it.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address as *const i8) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
