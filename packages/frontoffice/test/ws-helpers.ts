// The test sockets live in @caruso/frontoffice/testing, where the examples' tests reach them too.
export { mustOpen, openSocket, type Frame, type TestSocket } from '@caruso/frontoffice/testing';
