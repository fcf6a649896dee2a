//! 用友 Yonyou U8 OpenAPI customer contacts
