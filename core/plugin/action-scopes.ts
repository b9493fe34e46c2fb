// The scopes an action declares: what a requester must hold to ask for it (the ladder is in core/plugin-host).

/** What an action needs from whoever asked for it (the plugin declares it per action). */
export const ACTION_SCOPES = ['read', 'operate', 'fence'] as const
export type ActionScope = (typeof ACTION_SCOPES)[number]
