//! Running many requests with a bounded number in flight.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `task(0..count)` with at most `concurrency` in flight; the results
/// in index order, or the first error.
pub async fn concurrently<T, F, Fut>(
    count: usize,
    concurrency: usize,
    task: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let task = Arc::new(task);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(count) {
        let task = task.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    return Ok(done);
                }
                match task(index).await {
                    Ok(value) => done.push((index, value)),
                    Err(e) => {
                        // Stop the other workers too.
                        next.store(count, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
        });
    }
    let mut slots: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut first_error = None;
    while let Some(joined) = workers.join_next().await {
        match joined? {
            Ok(done) => {
                for (index, value) in done {
                    slots[index] = Some(value);
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(slots.into_iter().flatten().collect())
}
