import type { Provider } from 'oidc-provider';

import type { ClientDisplayer } from '../provider/client-display.js';
import type { Interaction } from './interaction.js';

/** The client an interaction is for, as the sign-in and consent pages show it. */
export type ClientOnPage = (interaction: Interaction) => ReturnType<ClientDisplayer>;

export function clientOnPage(provider: Provider, displayClient: ClientDisplayer): ClientOnPage {
  return async (interaction) => {
    const clientId = String(interaction.params.client_id);
    return displayClient(await provider.Client.find(clientId), clientId, interaction.params.redirect_uri);
  };
}
