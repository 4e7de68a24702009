// Ticket exporters: build a sink with createTicketSink(config), preview() the exact payloads, then send().
export { checkBaseUrl, createTicketSink, DEFAULT_JIRA_PRIORITIES } from './trackers';
export type { GitHubConfig, GitLabConfig, JiraCloudConfig, JiraServerConfig, TrackerConfig } from './trackers';
export { planTickets, groupFingerprint } from './sink';
export { TicketMap, TICKET_MAP_FILE } from './ticketMap';
export { toAdf, toMarkdown, toWiki, wikiEscape } from './doc';
export type * from './types';
