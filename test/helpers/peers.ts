import { startTestHub, type Backend, type TestHub } from './hub.js';
import { startPublisher, startSubscriber, type Publisher, type Subscriber } from './servers.js';

/** A hub with a loopback publisher and subscriber: what most integration files start first. */
export interface HubWithPeers {
  hub: TestHub;
  publisher: Publisher;
  subscriber: Subscriber;
}

export async function startHubWithPeers(backend: Backend, env: Record<string, string> = {}): Promise<HubWithPeers> {
  return { hub: await startTestHub(backend, env), publisher: await startPublisher(), subscriber: await startSubscriber() };
}

/** Stops whatever of them started (a failed setup leaves some undefined). */
export async function stopHubWithPeers(peers: Partial<HubWithPeers>): Promise<void> {
  await peers.hub?.stop();
  await peers.publisher?.close();
  await peers.subscriber?.close();
}
