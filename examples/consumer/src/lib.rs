//! A user's code on top of `fxiaoke-crm`: the ids of the payments of at least an amount.

use futures::TryStreamExt;
use fxiaoke_crm::types::PaymentObj;
use fxiaoke_crm::{Client, FilterOperator};

/// The ids of every payment of at least `min`, in `_id` order, read page after page.
pub async fn large_payments(client: &Client, min: u32) -> fxiaoke_crm::Result<Vec<String>> {
    client
        .query::<PaymentObj>()
        .filter("payment_amount", FilterOperator::Gte, [min.to_string()])
        .fields(["_id", "payment_amount"])
        .stream()
        .map_ok(|p| p.id.unwrap_or_default())
        .try_collect()
        .await
}
