import { render } from '../../ui.js';
import './common.js';
export async function invitationsScreen() { render('invitationsScreen'); }
