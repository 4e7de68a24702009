// Keeps this window subscribed to the engine's live frames and session status, and resets views for a new session.
import { useEffect } from 'react';
import { getClient } from '../../api/client';
import { useStore } from '../../store';
import { isActive } from '../../store/session/slice';
import type { SessionStatus } from '../../../../electron/common/ipc/contract';

export function useLiveSession(): void {
  useEffect(() => {
    const client = getClient();
    let subscribing = false;
    let sessionKey = '';
    const subscribe = async () => {
      const st = useStore.getState();
      if (subscribing || st.subId) return;
      subscribing = true;
      try {
        const { subId } = await client.call('live.subscribe', { tail: 500 });
        useStore.getState().setSubId(subId);
      } catch {
        // No session to follow yet: retried when the session status changes.
      } finally {
        subscribing = false;
      }
    };
    const onStatus = (s: SessionStatus) => {
      const st = useStore.getState();
      // A different session (new start time or another recording) starts from an empty picture, and the engine
      // closed our old subscription with the old session: subscribe again (the first frame is the full state).
      const key = `${s.source ?? ''}|${s.recordingPath ?? ''}|${s.startedAt ?? ''}`;
      if (s.startedAt && key !== sessionKey) {
        if (sessionKey) {
          st.resetLive();
          st.setTimeWindow(undefined);
        }
        st.setSubId(undefined);
        sessionKey = key;
      }
      st.setSession(s);
      if (isActive(s) || s.state === 'stopped') {
        void subscribe();
        void st.loadFindings();
      }
    };
    const offs = [
      client.on('session.status', onStatus),
      client.on('live.frame', (f) => useStore.getState().applyLiveFrame(f)),
      client.onTransportState((t) => {
        if (t !== 'open') {
          // Subscriptions die with the link; make a new one when it comes back.
          useStore.getState().setSubId(undefined);
          return;
        }
        client.call('session.status', {}).then(onStatus, () => undefined);
        void useStore.getState().loadFindings();
        void subscribe();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, []);
}
