import { render } from '../../ui.js';
import './common.js';
export async function ushtsScreen() { render('ushtsScreen'); }
export async function usersScreen() { render('usersScreen'); }
