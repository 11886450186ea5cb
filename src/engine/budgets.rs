//! The process-wide connection budgets: every client of the same Dhan user in this
//! process shares one [`Budget`], so two clients cannot together open a sixth
//! market-feed socket (which would make Dhan drop the oldest with 805).

use crate::secret::Secret;
use crate::session::{Budget, BudgetConfig};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Budgets by a hash of the client id (the id itself is not kept here).
type Registry = Mutex<HashMap<u64, Weak<Mutex<Budget>>>>;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The budget of the user `client_id`, created with `cfg` by the first client.
pub(crate) fn for_user(client_id: &Secret, cfg: BudgetConfig) -> Arc<Mutex<Budget>> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    client_id.expose().hash(&mut h);
    let key = h.finish();
    let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, w| w.strong_count() > 0);
    if let Some(b) = map.get(&key).and_then(Weak::upgrade) {
        return b;
    }
    let b = Arc::new(Mutex::new(Budget::new(cfg)));
    map.insert(key, Arc::downgrade(&b));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_of_one_user_share_a_budget_and_other_users_do_not() {
        let a = for_user(&Secret::new("1100000001"), BudgetConfig::default());
        let b = for_user(&Secret::new("1100000001"), BudgetConfig::default());
        let c = for_user(&Secret::new("1100000002"), BudgetConfig::default());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
