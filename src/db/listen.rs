//! One connection that LISTENs for the change notifications the database's triggers send (see
//! migration 000006) and invalidates the in-process caches. While it is not connected and
//! listening, the caches serve nothing, so no instance trusts data another may have changed.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_postgres::AsyncMessage;

use super::cache::Invalidate;

/// A live listener is pinged this often; no answer within `PING_TIMEOUT` and it is replaced.
const PING_EVERY: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How the listening session shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "mentorsti-listener";

/// The caches and the notification channel each listens to.
#[derive(Clone, Default)]
pub struct Subscribers {
    channels: Vec<(&'static str, Arc<dyn Invalidate>)>,
}

impl Subscribers {
    pub fn add(mut self, channel: &'static str, cache: Arc<dyn Invalidate>) -> Self {
        self.channels.push((channel, cache));
        self
    }

    fn go_live(&self) {
        self.channels.iter().for_each(|(_, cache)| cache.go_live());
    }

    fn go_dark(&self) {
        self.channels.iter().for_each(|(_, cache)| cache.go_dark());
    }

    fn notify(&self, channel: &str, payload: &str) {
        for (name, cache) in &self.channels {
            if *name == channel {
                cache.changed(payload);
            }
        }
    }
}

/// Listens until `shutdown`, reconnecting after failures.
pub async fn run(url: String, subscribers: Subscribers, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            result = listen_once(&url, &subscribers) => {
                subscribers.go_dark();
                if let Err(error) = result {
                    tracing::warn!(%error, "change listener lost; caches bypassed until it is back");
                }
            }
            _ = shutdown.changed() => {
                subscribers.go_dark();
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_AFTER) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Connects, listens, and serves notifications until the connection fails.
async fn listen_once(url: &str, subscribers: &Subscribers) -> anyhow::Result<()> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config
        .application_name(APPLICATION_NAME)
        .connect_timeout(PING_TIMEOUT)
        .keepalives_idle(PING_EVERY);
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let receiver = subscribers.clone();
    let mut messages = AbortOnDrop(tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => receiver.notify(n.channel(), n.payload()),
                Ok(_) => {}
                Err(error) => return anyhow::Error::from(error),
            }
        }
        anyhow::anyhow!("the listening connection closed")
    }));
    let result: anyhow::Result<()> = async {
        let mut listen = String::new();
        for (channel, _) in &subscribers.channels {
            listen.push_str(&format!("LISTEN {channel};"));
        }
        client.batch_execute(&listen).await?;
        // From here on no change is missed; what was cached before may be stale.
        subscribers.go_live();
        tracing::debug!("change listener listening");
        loop {
            tokio::select! {
                ended = &mut messages.0 => {
                    return Err(ended.unwrap_or_else(|e| anyhow::anyhow!("listener task: {e}")));
                }
                _ = tokio::time::sleep(PING_EVERY) => {
                    tokio::time::timeout(PING_TIMEOUT, client.simple_query("SELECT 1"))
                        .await
                        .map_err(|_| anyhow::anyhow!("the listening connection stopped answering"))??;
                }
            }
        }
    }
    .await;
    subscribers.go_dark();
    result
}

/// The task reading the connection ends with the listener, however it ends.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
