//! 有逸 useasy customer API
