//! 纷享销客 Fxiaoke (ShareCRM) CRM V2 object data API
